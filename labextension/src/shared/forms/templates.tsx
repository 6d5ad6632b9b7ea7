/**
 * rjsf templates of the create forms, set per field in the uiSchema
 * (JupyterLab's own field, object and array templates stay the default):
 * the guide's sections at the root, lists with add / remove buttons, and
 * error messages that name their field in the server's notation.
 */
import type { ArrayFieldTemplateProps, FieldErrorProps, FieldTemplateProps, ObjectFieldTemplateProps } from '@rjsf/utils';
import * as React from 'react';

import type { IFormContext } from './formContext';
import { pathOption } from './formContext';
import { concretePath } from './paths';

/** Messages under a field; `data-error-for` is the field's path (`datasets[0].path`). */
export function ErrorText(props: { path: string; errors?: readonly (string | React.ReactElement)[] }): JSX.Element | null {
  const errors = (props.errors ?? []).filter(e => e !== '' && e !== null && e !== undefined);
  if (!errors.length) {
    return null;
  }
  return (
    <div className="jp-EasyMaker-fieldError" role="alert" data-error-for={props.path}>
      {errors.map((e, i) => (
        <React.Fragment key={i}>
          {i ? ' ' : ''}
          {e}
        </React.Fragment>
      ))}
    </div>
  );
}

/** rjsf's FieldErrorTemplate: the field's own messages. */
export function ErrorTemplate(props: FieldErrorProps): JSX.Element | null {
  return <ErrorText path={concretePath(pathOption(props.uiSchema), props.idSchema.$id)} errors={props.errors} />;
}

/** A field that is not shown (set by a picker, or internal such as inline sources). */
export function HiddenTemplate(_props: FieldTemplateProps): null {
  return null;
}

/** The root of a form: its fields in the guide's sections, each a fieldset, extras (pickers) first. */
export function SectionsTemplate(props: ObjectFieldTemplateProps): JSX.Element {
  const form = props.registry.formContext as IFormContext;
  const byName = new Map(props.properties.map(p => [p.name, p]));
  return (
    <div className="jp-EasyMaker-form">
      {form.sections().map(section => {
        const fields = section.fields.map(name => byName.get(name)).filter(p => !!p);
        const before = form.before(section.id);
        if (!fields.length && !before) {
          return null;
        }
        return (
          <fieldset key={section.id} className="jp-EasyMaker-section" data-section={section.id}>
            <legend>{section.title}</legend>
            {before}
            {fields.map(p => (
              <React.Fragment key={p!.name}>{p!.content}</React.Fragment>
            ))}
          </fieldset>
        );
      })}
    </div>
  );
}

/** A list (datasets, stage resources, class names): its items with a remove button each, and an add button. */
export function ListTemplate(props: ArrayFieldTemplateProps): JSX.Element {
  const { items, canAdd, onAddClick, schema, uiSchema, idSchema, registry, title, required, disabled, readonly } = props;
  const { trans } = registry.formContext as IFormContext;
  const path = concretePath(pathOption(uiSchema), idSchema.$id);
  const label = (uiSchema?.['ui:title'] as string | undefined) ?? title;
  return (
    <div className={'jp-EasyMaker-group' + (props.rawErrors?.length ? ' jp-mod-error' : '')} data-field={path}>
      <div className="jp-EasyMaker-groupTitle">
        {label}
        {required ? ' *' : ''}
        {schema.maxItems !== undefined ? <span className="jp-EasyMaker-help"> {trans.__('(up to %1)', schema.maxItems)}</span> : null}
      </div>
      {schema.description ? <div className="jp-EasyMaker-help">{schema.description}</div> : null}
      {items.map(item => (
        <div key={item.key} className="jp-EasyMaker-listItem" data-field={`${path}[${item.index}]`}>
          {item.children}
          {item.hasRemove ? (
            <button
              type="button"
              className="jp-EasyMaker-button jp-EasyMaker-remove"
              aria-label={trans.__('Remove')}
              title={trans.__('Remove')}
              disabled={disabled || readonly}
              onClick={item.onDropIndexClick(item.index)}
            >
              ✕
            </button>
          ) : null}
        </div>
      ))}
      <button
        type="button"
        className="jp-EasyMaker-button"
        data-action={`add-${path}`}
        disabled={!canAdd || disabled || readonly}
        onClick={onAddClick}
      >
        + {trans.__('Add')}
      </button>
    </div>
  );
}
