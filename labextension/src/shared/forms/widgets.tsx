/**
 * The inputs of the create forms: rjsf's text, number, text area, select
 * and check box, named after the server's field path (`datasets[0].path`,
 * the notation of its 4xx `field`), and a select for fields that pick
 * something (a model, a framework, an instance type).
 */
import type { RJSFSchema, WidgetProps } from '@rjsf/utils';
import { getInputProps } from '@rjsf/utils';
import * as React from 'react';

import type { IFormContext } from './formContext';
import { pathOption } from './formContext';
import { concretePath } from './paths';

/** The input's name: its field's path in the server's notation. */
export function fieldName(props: Pick<WidgetProps, 'id' | 'uiSchema' | 'options'>): string {
  const generic = typeof props.options?.path === 'string' ? props.options.path : pathOption(props.uiSchema);
  return generic ? concretePath(generic, props.id) : props.id;
}

function formOf(props: WidgetProps): IFormContext {
  return props.registry.formContext as IFormContext;
}

function optionalHint(props: WidgetProps): string | undefined {
  const schema = props.schema as RJSFSchema;
  return !props.required && schema.default === undefined ? formOf(props).trans.__('(optional)') : undefined;
}

export function TextWidget(props: WidgetProps): JSX.Element {
  const { id, value, disabled, readonly, autofocus, onChange, onBlur, onFocus, options, schema, rawErrors } = props;
  const inputProps = getInputProps(schema, options.inputType as string | undefined, options);
  return (
    <input
      id={id}
      name={fieldName(props)}
      className="form-control jp-mod-styled"
      {...inputProps}
      value={value === undefined || value === null ? '' : String(value)}
      maxLength={schema.maxLength}
      placeholder={props.placeholder || optionalHint(props)}
      disabled={disabled || readonly}
      autoFocus={autofocus}
      aria-invalid={rawErrors?.length ? true : undefined}
      onChange={e => onChange(e.target.value === '' ? options.emptyValue : e.target.value)}
      onBlur={e => onBlur(id, e.target.value)}
      onFocus={e => onFocus(id, e.target.value)}
    />
  );
}

/**
 * A text area: two rows; one given `rows` (a form hint) has at least that
 * many and grows with its text, so that all of it is seen.
 */
export function TextareaWidget(props: WidgetProps): JSX.Element {
  const { id, value, disabled, readonly, onChange, onBlur, onFocus, options, schema, rawErrors } = props;
  const rows = typeof options.rows === 'number' ? options.rows : null;
  const node = React.useRef<HTMLTextAreaElement>(null);
  React.useLayoutEffect(() => {
    const area = node.current;
    if (rows === null || !area) {
      return;
    }
    area.style.height = '';
    if (area.scrollHeight > 0) {
      // not measurable while hidden: `rows` holds until the next change
      const style = getComputedStyle(area);
      const px = (v: string) => parseFloat(v) || 0;
      const extra = style.boxSizing === 'border-box' ? px(style.borderTopWidth) + px(style.borderBottomWidth) : -px(style.paddingTop) - px(style.paddingBottom);
      area.style.height = `${area.scrollHeight + extra}px`;
    }
  }, [rows, value]);
  return (
    <textarea
      ref={node}
      id={id}
      name={fieldName(props)}
      className="form-control jp-mod-styled"
      rows={rows ?? 2}
      value={value ?? ''}
      maxLength={schema.maxLength}
      disabled={disabled || readonly}
      aria-invalid={rawErrors?.length ? true : undefined}
      onChange={e => onChange(e.target.value === '' ? options.emptyValue : e.target.value)}
      onBlur={e => onBlur(id, e.target.value)}
      onFocus={e => onFocus(id, e.target.value)}
    />
  );
}

export function CheckboxWidget(props: WidgetProps): JSX.Element {
  const { id, value, disabled, readonly, onChange, onBlur, onFocus, label } = props;
  return (
    <label className="jp-EasyMaker-check" htmlFor={id}>
      <input
        id={id}
        name={fieldName(props)}
        type="checkbox"
        checked={value === true}
        disabled={disabled || readonly}
        onChange={e => onChange(e.target.checked)}
        onBlur={() => onBlur(id, value)}
        onFocus={() => onFocus(id, value)}
      />
      {label}
    </label>
  );
}

/** A select of `(value, label)` options with an empty option first when nothing or nothing required is chosen. */
function Select(props: {
  widget: WidgetProps;
  options: readonly { value: string; label: string; disabled?: boolean }[];
  empty?: string;
}): JSX.Element {
  const { widget, options } = props;
  const { id, value, disabled, readonly, onChange, onBlur, onFocus, rawErrors } = widget;
  const current = value === undefined || value === null ? '' : String(value);
  const known = options.some(o => o.value === current);
  return (
    <select
      id={id}
      name={fieldName(widget)}
      className="form-control jp-mod-styled"
      value={current}
      disabled={disabled || readonly}
      aria-invalid={rawErrors?.length ? true : undefined}
      onChange={e => onChange(e.target.value === '' ? widget.options.emptyValue : e.target.value)}
      onBlur={e => onBlur(id, e.target.value)}
      onFocus={e => onFocus(id, e.target.value)}
    >
      {props.empty !== undefined || !current ? <option value="">{props.empty ?? formOf(widget).trans.__('(choose)')}</option> : null}
      {!known && current ? <option value={current}>{current}</option> : null}
      {options.map(o => (
        <option key={o.value} value={o.value} disabled={o.disabled}>
          {o.label}
        </option>
      ))}
    </select>
  );
}

/** An enum's values; `(default)` first when the field may stay empty. */
export function SelectWidget(props: WidgetProps): JSX.Element {
  const options = (props.options.enumOptions ?? []).map(o => ({ value: String(o.value), label: String(o.label) }));
  const optional = !props.required && (props.schema as RJSFSchema).default === undefined;
  return <Select widget={props} options={options} empty={optional ? formOf(props).trans.__('(default)') : undefined} />;
}

/**
 * A field that picks something the form loaded (an ACTIVE model, a
 * framework with only the installed ones enabled, an instance type, a
 * built-in algorithm with its description); a text input while there is
 * nothing to pick from.
 */
export function ChoicesWidget(props: WidgetProps): JSX.Element {
  const choices = formOf(props).choices(fieldPath(props));
  if (!choices || !choices.options.length) {
    return <TextWidget {...props} />;
  }
  const chosen = choices.options.find(o => o.value === props.value);
  return (
    <>
      <Select widget={props} options={choices.options} empty={choices.empty} />
      {chosen?.description ? <div className="jp-EasyMaker-help">{chosen.description}</div> : null}
    </>
  );
}

function fieldPath(props: WidgetProps): string {
  return typeof props.options?.path === 'string' ? props.options.path : pathOption(props.uiSchema);
}

/** The widgets the forms use instead of rjsf's own (by rjsf's names), and the picker. */
export const WIDGETS = {
  TextWidget,
  TextareaWidget,
  CheckboxWidget,
  SelectWidget,
  choices: ChoicesWidget
};
