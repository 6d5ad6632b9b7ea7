/**
 * Fields rjsf has no good default for: a discriminated union (the
 * algorithm: own or built-in, as radio buttons, then the chosen variant's
 * fields) and a key/value map (hyperparameters, a model's parameters).
 */
import type { ErrorSchema, FieldProps, RJSFSchema } from '@rjsf/utils';
import * as React from 'react';

import type { IFormContext } from './formContext';
import { pathOption } from './formContext';
import { concretePath } from './paths';
import { ErrorText } from './templates';

type Data = Record<string, unknown>;

function titleOf(props: FieldProps): string {
  const ui = (props.uiSchema ?? {}) as { 'ui:title'?: string };
  return ui['ui:title'] ?? props.schema.title ?? props.name;
}

/** What the uiSchema tells a union field (rjsf may hand the field its chosen variant only). */
export interface IUnionOptions {
  path: string;
  /** The tag property (`type`). */
  tag: string;
  variants: { value: string; label: string; schema: RJSFSchema }[];
}

/** Own or built-in algorithm: the variants as radio buttons, then the chosen one's fields. */
export function UnionField(props: FieldProps): JSX.Element {
  const { formData, onChange, idSchema, errorSchema, registry, uiSchema, rawErrors, disabled, readonly } = props;
  const form = registry.formContext as IFormContext;
  const union = uiSchema?.['ui:options'] as unknown as IUnionOptions;
  const record = (formData ?? {}) as Data;
  // rjsf does not re-render a field whose props only differ in callbacks: they read the latest data
  const latest = React.useRef({ record, errorSchema });
  latest.current = { record, errorSchema };
  const tag = String(record[union.tag] ?? union.variants[0]?.value ?? '');
  const variant = union.variants.find(v => v.value === tag) ?? union.variants[0];
  const path = concretePath(union.path, idSchema.$id);
  const separator = props.idSeparator ?? '_';
  const { SchemaField } = registry.fields;
  const choose = (next: string) => {
    const target = union.variants.find(v => v.value === next);
    const fresh: Data = { [union.tag]: next };
    // text typed under the other variant stays where the new one has the same field
    for (const [name, sub] of Object.entries(target?.schema.properties ?? {})) {
      if (name !== union.tag && typeof record[name] === 'string' && (sub as RJSFSchema).type === 'string') {
        fresh[name] = record[name];
      }
    }
    onChange(fresh, undefined, idSchema.$id);
  };
  const required = new Set(variant?.schema.required ?? []);
  return (
    <div className={'jp-EasyMaker-group' + (rawErrors?.length ? ' jp-mod-error' : '')} data-field={path}>
      <div className="jp-EasyMaker-groupTitle">{titleOf(props)}</div>
      <div className="jp-EasyMaker-radios" role="radiogroup" data-field={`${path}.${union.tag}`}>
        {union.variants.map(v => (
          <label key={v.value} className="jp-EasyMaker-radio">
            <input
              type="radio"
              name={`${path}.${union.tag}`}
              value={v.value}
              checked={v.value === tag}
              disabled={disabled || readonly}
              onChange={() => choose(v.value)}
            />
            {v.label}
          </label>
        ))}
      </div>
      {Object.entries(variant?.schema.properties ?? {})
        .filter(([name]) => name !== union.tag)
        .map(([name, sub]) => (
          <SchemaField
            key={`${tag}.${name}`}
            name={name}
            required={required.has(name)}
            schema={sub as RJSFSchema}
            uiSchema={(uiSchema?.[name] ?? {}) as never}
            errorSchema={(errorSchema as Record<string, ErrorSchema> | undefined)?.[name]}
            idSchema={{ $id: `${idSchema.$id}${separator}${name}` } as never}
            idPrefix={props.idPrefix}
            idSeparator={props.idSeparator}
            formData={record[name]}
            formContext={form}
            registry={registry}
            disabled={disabled}
            readonly={readonly}
            onBlur={props.onBlur}
            onFocus={props.onFocus}
            onChange={(value: unknown, childErrors?: ErrorSchema, id?: string) => {
              const now = latest.current;
              onChange(
                { ...now.record, [union.tag]: tag, [name]: value },
                childErrors ? ({ ...now.errorSchema, [name]: childErrors } as ErrorSchema) : undefined,
                id
              );
            }}
          />
        ))}
      <ErrorText path={path} errors={rawErrors} />
    </div>
  );
}

interface IRow {
  key: string;
  value: string;
}

function rowsOf(value: unknown): IRow[] {
  return Object.entries((value ?? {}) as Data).map(([key, v]) => ({ key, value: typeof v === 'string' ? v : JSON.stringify(v) }));
}

function objectOf(rows: IRow[]): Data {
  const out: Data = {};
  for (const { key, value } of rows) {
    if (key.trim()) {
      out[key.trim()] = value;
    }
  }
  return out;
}

function sameMap(a: Data, b: Data): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every(k => a[k] === b[k]);
}

/** What is wrong with the rows: a repeated key, or a value without a key. */
export function rowProblem(rows: readonly IRow[], form: Pick<IFormContext, 'trans'>): string | null {
  const keys = rows.map(r => r.key.trim()).filter(Boolean);
  if (new Set(keys).size !== keys.length) {
    return form.trans.__('Keys must be unique');
  }
  if (rows.some(r => !r.key.trim() && r.value.trim())) {
    return form.trans.__('Every value needs a key');
  }
  return null;
}

/** Key / value rows (hyperparameters, a model's parameters); values as text. */
export function KeyValueField(props: FieldProps): JSX.Element {
  const { formData, onChange, idSchema, registry, uiSchema, disabled, readonly, schema } = props;
  const form = registry.formContext as IFormContext;
  const { trans } = form;
  const path = concretePath(pathOption(uiSchema), idSchema.$id);
  const [rows, setRows] = React.useState<IRow[]>(() => rowsOf(formData));
  // the form's data changed from outside (a template, a built-in algorithm's defaults)
  const current = (formData ?? {}) as Data;
  if (!sameMap(objectOf(rows), current) && !rowProblem(rows, form)) {
    setRows(rowsOf(current));
  }
  React.useEffect(() => () => void form.problems.delete(path), [path]);
  const problem = rowProblem(rows, form);
  if (problem) {
    form.problems.set(path, problem);
  } else {
    form.problems.delete(path);
  }
  const set = (next: IRow[]) => {
    setRows(next);
    onChange(objectOf(next), undefined, idSchema.$id);
  };
  const limit = (schema as RJSFSchema).maxProperties ?? 100;
  return (
    <div className="jp-EasyMaker-group" data-field={path}>
      <div className="jp-EasyMaker-groupTitle">
        {titleOf(props)}
        {props.required ? ' *' : ''}
      </div>
      {rows.map((row, i) => (
        <div key={i} className="jp-EasyMaker-kv" data-field={`${path}[${i}]`}>
          <input
            className="jp-mod-styled"
            name={`${path}.key.${i}`}
            placeholder={trans.__('Key')}
            aria-label={trans.__('Key')}
            value={row.key}
            disabled={disabled || readonly}
            onChange={e => set(rows.map((r, j) => (j === i ? { ...r, key: e.target.value } : r)))}
          />
          <input
            className="jp-mod-styled"
            name={`${path}.value.${i}`}
            placeholder={trans.__('Value')}
            aria-label={trans.__('Value')}
            value={row.value}
            disabled={disabled || readonly}
            onChange={e => set(rows.map((r, j) => (j === i ? { ...r, value: e.target.value } : r)))}
          />
          <button
            type="button"
            className="jp-EasyMaker-button jp-EasyMaker-remove"
            aria-label={trans.__('Remove')}
            onClick={() => set(rows.filter((_r, j) => j !== i))}
          >
            ✕
          </button>
        </div>
      ))}
      <button
        type="button"
        className="jp-EasyMaker-button"
        data-action={`add-${path}`}
        disabled={disabled || readonly || rows.length >= limit}
        onClick={() => set([...rows, { key: '', value: '' }])}
      >
        + {trans.__('Add')}
      </button>
    </div>
  );
}

/** The fields the forms add to rjsf's (by their `ui:field` names). */
export const FIELDS = { union: UnionField, keyValue: KeyValueField };
