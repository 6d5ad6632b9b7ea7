/**
 * Renders form fields generated from the server's schema (state/schemaForm):
 * text, numbers with their limits, booleans, enums, the algorithm union,
 * lists of datasets and key/value hyperparameters; each field shows its
 * inline error (client-side checks or the API's 4xx `field`).
 */
import * as React from 'react';

import { useTrans } from '../i18n/react';
import { IFieldSpec, IMapEntry, genericPath, getAt, initialValue, joinPath } from './schemaForm';

export interface ISchemaFormSection {
  id: string;
  title: string;
  /** Top-level field names, in order. */
  fields: string[];
  /** Extra content rendered first in the section (pickers). */
  before?: React.ReactNode;
}

export interface ISchemaFormProps {
  fields: IFieldSpec[];
  sections: ISchemaFormSection[];
  values: Record<string, unknown>;
  errors: Record<string, string>;
  onChange(path: string, value: unknown): void;
  /** Translated label of a field (generic path `datasets[].name`). */
  labelOf(path: string, field: IFieldSpec): string;
  helpOf?(path: string, field: IFieldSpec): string | undefined;
  /** A custom control for a field, or undefined for the generated one. */
  override?(path: string, field: IFieldSpec, value: unknown, onChange: (value: unknown) => void): React.ReactNode | undefined;
  variantLabel?(tag: string): string;
  /** Fields not to render (generic path), e.g. `algorithm.source_files`. */
  isHidden?(path: string): boolean;
}

export function SchemaForm(props: ISchemaFormProps): JSX.Element {
  const byName = new Map(props.fields.map(f => [f.name, f]));
  return (
    <div className="jp-EasyMaker-form">
      {props.sections.map(section => {
        const fields = section.fields.map(n => byName.get(n)).filter((f): f is IFieldSpec => !!f);
        if (!fields.length && !section.before) {
          return null;
        }
        return (
          <fieldset key={section.id} className="jp-EasyMaker-section" data-section={section.id}>
            <legend>{section.title}</legend>
            {section.before}
            {fields.map(f => (
              <Field key={f.name} {...props} field={f} path={f.name} value={props.values[f.name]} />
            ))}
          </fieldset>
        );
      })}
    </div>
  );
}

interface IFieldProps extends ISchemaFormProps {
  field: IFieldSpec;
  path: string;
  value: unknown;
}

export function inputId(path: string): string {
  return 'jp-EasyMaker-f-' + path.replace(/[^A-Za-z0-9_-]/g, '_');
}

function Field(props: IFieldProps): JSX.Element {
  const trans = useTrans();
  const { field, path, value } = props;
  const change = (v: unknown) => props.onChange(path, v);
  const error = props.errors[path];
  const label = props.labelOf(genericPath(path), field);
  const help = props.helpOf?.(genericPath(path), field);
  const custom = props.override?.(path, field, value, change);
  let control: React.ReactNode;
  let inline = false;
  if (custom !== undefined) {
    control = custom;
  } else {
    switch (field.kind) {
      case 'boolean':
        inline = true;
        control = (
          <input id={inputId(path)} name={path} type="checkbox" checked={Boolean(value)} onChange={e => change(e.target.checked)} />
        );
        break;
      case 'integer':
      case 'number':
        control = (
          <input
            id={inputId(path)}
            name={path}
            className="jp-mod-styled"
            type="number"
            min={field.minimum}
            max={field.maximum}
            step={field.kind === 'integer' ? 1 : 'any'}
            value={String(value ?? '')}
            placeholder={field.nullable ? trans.__('(optional)') : undefined}
            onChange={e => change(e.target.value)}
          />
        );
        break;
      case 'enum':
        control = (
          <select id={inputId(path)} name={path} className="jp-mod-styled" value={String(value ?? '')} onChange={e => change(e.target.value)}>
            {field.nullable || !field.required ? <option value="">{trans.__('(default)')}</option> : null}
            {(field.options ?? []).map(o => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        );
        break;
      case 'object':
        return (
          <div className="jp-EasyMaker-group" data-field={path}>
            <div className="jp-EasyMaker-groupTitle">{label}</div>
            {(field.fields ?? []).filter(f => !props.isHidden?.(genericPath(joinPath(path, f.name)))).map(f => (
              <Field key={f.name} {...props} field={f} path={joinPath(path, f.name)} value={getAt(value, f.name)} />
            ))}
            <ErrorText path={path} error={error} />
          </div>
        );
      case 'union':
        return <UnionField {...props} label={label} error={error} />;
      case 'array':
        return <ArrayField {...props} label={label} error={error} />;
      case 'map':
        return <MapField {...props} label={label} error={error} />;
      default:
        control =
          field.name === 'description' || (field.maxLength !== undefined && field.maxLength > 1000) ? (
            <textarea id={inputId(path)} name={path} className="jp-mod-styled" rows={2} maxLength={field.maxLength} value={String(value ?? '')} onChange={e => change(e.target.value)} />
          ) : (
            <input
              id={inputId(path)}
              name={path}
              className="jp-mod-styled"
              type="text"
              value={String(value ?? '')}
              maxLength={field.maxLength}
              placeholder={field.nullable && !field.required ? trans.__('(optional)') : undefined}
              onChange={e => change(e.target.value)}
            />
          );
    }
  }
  return (
    <div className={'jp-EasyMaker-field' + (error ? ' jp-mod-error' : '') + (inline ? ' jp-mod-inline' : '')} data-field={path}>
      <label htmlFor={inputId(path)}>
        {label}
        {field.required ? <span className="jp-EasyMaker-required"> *</span> : null}
      </label>
      {control}
      {help ? <div className="jp-EasyMaker-help">{help}</div> : null}
      <ErrorText path={path} error={error} />
    </div>
  );
}

function ErrorText(props: { path: string; error?: string }): JSX.Element | null {
  if (!props.error) {
    return null;
  }
  return (
    <div className="jp-EasyMaker-fieldError" role="alert" data-error-for={props.path}>
      {props.error}
    </div>
  );
}

function UnionField(props: IFieldProps & { label: string; error?: string }): JSX.Element {
  const { field, path, value } = props;
  const disc = field.discriminator as string;
  const record = (value ?? {}) as Record<string, unknown>;
  const tag = String(record[disc] ?? field.variants?.[0]?.tag ?? '');
  const variant = field.variants?.find(v => v.tag === tag) ?? field.variants?.[0];
  const choose = (next: string) => {
    const target = field.variants?.find(v => v.tag === next);
    const fresh: Record<string, unknown> = { [disc]: next };
    for (const f of target?.fields ?? []) {
      fresh[f.name] = record[f.name] !== undefined && f.kind === 'string' ? record[f.name] : initialValue(f);
    }
    props.onChange(path, fresh);
  };
  return (
    <div className={'jp-EasyMaker-group' + (props.error ? ' jp-mod-error' : '')} data-field={path}>
      <div className="jp-EasyMaker-groupTitle">{props.label}</div>
      <div className="jp-EasyMaker-radios" role="radiogroup" data-field={joinPath(path, disc)}>
        {(field.variants ?? []).map(v => (
          <label key={v.tag} className="jp-EasyMaker-radio">
            <input type="radio" name={joinPath(path, disc)} value={v.tag} checked={v.tag === tag} onChange={() => choose(v.tag)} />
            {props.variantLabel ? props.variantLabel(v.tag) : v.title}
          </label>
        ))}
      </div>
      {(variant?.fields ?? [])
        .filter(f => !props.isHidden?.(genericPath(joinPath(path, f.name))))
        .map(f => (
          <Field key={`${tag}.${f.name}`} {...props} field={f} path={joinPath(path, f.name)} value={record[f.name]} />
        ))}
      <ErrorText path={path} error={props.error} />
    </div>
  );
}

function ArrayField(props: IFieldProps & { label: string; error?: string }): JSX.Element {
  const trans = useTrans();
  const { field, path } = props;
  const items = Array.isArray(props.value) ? (props.value as unknown[]) : [];
  const item = field.item as IFieldSpec;
  const full = field.maxItems !== undefined && items.length >= field.maxItems;
  return (
    <div className={'jp-EasyMaker-group' + (props.error ? ' jp-mod-error' : '')} data-field={path}>
      <div className="jp-EasyMaker-groupTitle">
        {props.label}
        {field.maxItems !== undefined ? <span className="jp-EasyMaker-help"> {trans.__('(up to %1)', field.maxItems)}</span> : null}
      </div>
      {items.map((v, i) => (
        <div key={i} className="jp-EasyMaker-listItem" data-field={joinPath(path, i)}>
          {item.kind === 'object' ? (
            (item.fields ?? []).map(f => (
              <Field key={f.name} {...props} field={f} path={joinPath(joinPath(path, i), f.name)} value={getAt(v, f.name)} />
            ))
          ) : (
            <Field {...props} field={item} path={joinPath(path, i)} value={v} />
          )}
          <button
            type="button"
            className="jp-EasyMaker-button jp-EasyMaker-remove"
            aria-label={trans.__('Remove')}
            onClick={() => props.onChange(path, items.filter((_x, j) => j !== i))}
          >
            ✕
          </button>
          <ErrorText path={joinPath(path, i)} error={props.errors[joinPath(path, i)]} />
        </div>
      ))}
      <button
        type="button"
        className="jp-EasyMaker-button"
        data-action={`add-${path}`}
        disabled={full}
        onClick={() => props.onChange(path, [...items, initialValue(item)])}
      >
        + {trans.__('Add')}
      </button>
      <ErrorText path={path} error={props.error} />
    </div>
  );
}

function MapField(props: IFieldProps & { label: string; error?: string }): JSX.Element {
  const trans = useTrans();
  const { path } = props;
  const entries = (Array.isArray(props.value) ? props.value : []) as IMapEntry[];
  const set = (i: number, patch: Partial<IMapEntry>) =>
    props.onChange(path, entries.map((e, j) => (j === i ? { ...e, ...patch } : e)));
  return (
    <div className={'jp-EasyMaker-group' + (props.error ? ' jp-mod-error' : '')} data-field={path}>
      <div className="jp-EasyMaker-groupTitle">{props.label}</div>
      {entries.map((e, i) => (
        <div key={i} className="jp-EasyMaker-kv" data-field={`${path}[${i}]`}>
          <input
            className="jp-mod-styled"
            name={`${path}.key.${i}`}
            placeholder={trans.__('Key')}
            aria-label={trans.__('Key')}
            value={e.key}
            onChange={ev => set(i, { key: ev.target.value })}
          />
          <input
            className="jp-mod-styled"
            name={`${path}.value.${i}`}
            placeholder={trans.__('Value')}
            aria-label={trans.__('Value')}
            value={e.value}
            onChange={ev => set(i, { value: ev.target.value })}
          />
          <button
            type="button"
            className="jp-EasyMaker-button jp-EasyMaker-remove"
            aria-label={trans.__('Remove')}
            onClick={() => props.onChange(path, entries.filter((_x, j) => j !== i))}
          >
            ✕
          </button>
        </div>
      ))}
      <button
        type="button"
        className="jp-EasyMaker-button"
        data-action={`add-${path}`}
        disabled={entries.length >= 100}
        onClick={() => props.onChange(path, [...entries, { key: '', value: '' }])}
      >
        + {trans.__('Add')}
      </button>
      <ErrorText path={path} error={props.error} />
    </div>
  );
}
