/**
 * Form fields generated from the server's OpenAPI schema (pydantic's JSON
 * schema), the form value <-> request body conversion, client-side checks,
 * and the mapping of the API's 4xx `field` to the input that shows it.
 *
 * Field paths use the server's notation (`algorithm.entry_point`,
 * `datasets[0].path`), so an error's `field` names an input directly.
 */
import type { IJsonSchema, IOpenApiDocument } from '../api/meta';

export type FieldKind =
  | 'string'
  | 'integer'
  | 'number'
  | 'boolean'
  | 'enum'
  | 'object'
  | 'union'
  | 'array'
  | 'map';

export interface IFieldSpec {
  /** Property name. */
  name: string;
  kind: FieldKind;
  title: string;
  description?: string;
  required: boolean;
  /** `null` is allowed (an optional field). */
  nullable: boolean;
  default?: unknown;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  /** enum: the allowed values. */
  options?: string[];
  /** object: its fields. */
  fields?: IFieldSpec[];
  /** union: property that tells the variants apart, and the variants. */
  discriminator?: string;
  variants?: { tag: string; title: string; fields: IFieldSpec[] }[];
  /** array: the item. */
  item?: IFieldSpec;
  /** map: the values' kind (string/number/boolean/scalar). */
  valueKinds?: string[];
}

/** A key/value row of a map field while it is edited. */
export interface IMapEntry {
  key: string;
  value: string;
}

/** Message template + arguments; the panel translates them. */
export type Translate = (msg: string, ...args: unknown[]) => string;

export const identity: Translate = (msg, ...args) =>
  msg.replace(/%(\d+)/g, (_m, n) => String(args[Number(n) - 1] ?? ''));

// -- schema -> fields ---------------------------------------------------------

export function resolveRef(doc: IOpenApiDocument, schema: IJsonSchema): IJsonSchema {
  let node = schema;
  for (let i = 0; node.$ref && i < 20; i++) {
    const name = node.$ref.split('/').pop() as string;
    const target = doc.components.schemas[name];
    if (!target) {
      throw new Error(`schema ${node.$ref} is not in the OpenAPI document`);
    }
    const { $ref: _ref, ...rest } = node;
    node = { ...target, ...rest };
  }
  return node;
}

function typeOf(schema: IJsonSchema): string | undefined {
  return Array.isArray(schema.type) ? schema.type.find(t => t !== 'null') : schema.type;
}

/** The fields of a named schema (`TrainingCreate`). */
export function fieldsOf(doc: IOpenApiDocument, schemaName: string): IFieldSpec[] {
  const schema = doc.components.schemas[schemaName];
  if (!schema) {
    throw new Error(`the server's OpenAPI document has no schema ${schemaName}`);
  }
  return objectFields(doc, resolveRef(doc, schema));
}

function objectFields(doc: IOpenApiDocument, schema: IJsonSchema): IFieldSpec[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, prop]) =>
    fieldOf(doc, name, prop, required.has(name))
  );
}

export function fieldOf(
  doc: IOpenApiDocument,
  name: string,
  raw: IJsonSchema,
  required: boolean
): IFieldSpec {
  let schema = resolveRef(doc, raw);
  let nullable = false;
  // Optional[X] = anyOf [X, {type: null}]
  if (schema.anyOf) {
    const others = schema.anyOf.filter(s => s.type !== 'null');
    nullable = others.length < schema.anyOf.length;
    const scalars = others.every(s => ['string', 'integer', 'number', 'boolean'].includes(String(s.type)));
    if (others.length === 1) {
      const { anyOf: _a, ...outer } = schema;
      schema = { ...resolveRef(doc, others[0]), ...outer };
    } else if (scalars) {
      return base(name, schema, required, nullable, 'string');
    }
  }
  if (schema.oneOf && schema.discriminator) {
    const prop = schema.discriminator.propertyName;
    const variants = schema.oneOf.map(option => {
      const variant = resolveRef(doc, option);
      const tagSchema = variant.properties?.[prop];
      const tag = String(tagSchema?.const ?? tagSchema?.default ?? tagSchema?.enum?.[0] ?? '');
      return {
        tag,
        title: variant.title ?? tag,
        fields: objectFields(doc, variant).filter(f => f.name !== prop)
      };
    });
    return { ...base(name, schema, required, nullable, 'union'), discriminator: prop, variants };
  }
  if (schema.enum) {
    return { ...base(name, schema, required, nullable, 'enum'), options: schema.enum.map(String) };
  }
  const type = typeOf(schema);
  if (type === 'object' && schema.properties) {
    return { ...base(name, schema, required, nullable, 'object'), fields: objectFields(doc, schema) };
  }
  if (type === 'object') {
    const value = typeof schema.additionalProperties === 'object' ? resolveRef(doc, schema.additionalProperties) : {};
    const valueKinds = value.anyOf ? value.anyOf.map(v => String(v.type)) : [String(value.type ?? 'string')];
    return { ...base(name, schema, required, nullable, 'map'), valueKinds };
  }
  if (type === 'array') {
    const item = fieldOf(doc, '', schema.items ?? { type: 'string' }, true);
    return { ...base(name, schema, required, nullable, 'array'), item, maxItems: schema.maxItems };
  }
  if (type === 'integer' || type === 'number' || type === 'boolean') {
    return base(name, schema, required, nullable, type);
  }
  return base(name, schema, required, nullable, 'string');
}

function base(
  name: string,
  schema: IJsonSchema,
  required: boolean,
  nullable: boolean,
  kind: FieldKind
): IFieldSpec {
  const spec: IFieldSpec = {
    name,
    kind,
    title: schema.title ?? name,
    required,
    nullable
  };
  const copy: (keyof IFieldSpec & keyof IJsonSchema)[] = [
    'description',
    'default',
    'minLength',
    'maxLength',
    'pattern',
    'minimum',
    'maximum'
  ];
  for (const key of copy) {
    if (schema[key] !== undefined) {
      (spec as unknown as Record<string, unknown>)[key] = schema[key];
    }
  }
  if (schema.exclusiveMinimum !== undefined) {
    spec.minimum = schema.exclusiveMinimum;
  }
  if (schema.exclusiveMaximum !== undefined) {
    spec.maximum = schema.exclusiveMaximum;
  }
  return spec;
}

// -- paths ---------------------------------------------------------------------

export type PathPart = string | number;

/** `datasets[0].path` -> ['datasets', 0, 'path']. */
export function parsePath(path: string): PathPart[] {
  const parts: PathPart[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path)) !== null) {
    parts.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  }
  return parts;
}

export function joinPath(parent: string, part: PathPart): string {
  if (typeof part === 'number') {
    return `${parent}[${part}]`;
  }
  return parent ? `${parent}.${part}` : part;
}

/** `datasets[3].path` -> `datasets[].path` (the key of labels and hints). */
export function genericPath(path: string): string {
  return path.replace(/\[\d+\]/g, '[]');
}

export function getAt(value: unknown, path: string): unknown {
  let node: unknown = value;
  for (const part of parsePath(path)) {
    if (node === null || node === undefined) {
      return undefined;
    }
    node = (node as Record<string | number, unknown>)[part];
  }
  return node;
}

/** A copy of `value` with `path` set (objects and arrays on the way are copied). */
export function setAt<T>(value: T, path: string, next: unknown): T {
  const parts = parsePath(path);
  const write = (node: unknown, i: number): unknown => {
    if (i === parts.length) {
      return next;
    }
    const part = parts[i];
    const copy: Record<string | number, unknown> | unknown[] = Array.isArray(node)
      ? [...node]
      : { ...((node as Record<string, unknown>) ?? {}) };
    (copy as Record<string | number, unknown>)[part] = write(
      (node as Record<string | number, unknown> | undefined)?.[part],
      i + 1
    );
    return copy;
  };
  return write(value, 0) as T;
}

// -- values ----------------------------------------------------------------------

/** The editable value of a field when the form opens. */
export function initialValue(field: IFieldSpec): unknown {
  switch (field.kind) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const f of field.fields ?? []) {
        out[f.name] = initialValue(f);
      }
      return out;
    }
    case 'union': {
      const first = field.variants?.[0];
      const out: Record<string, unknown> = { [field.discriminator as string]: first?.tag };
      for (const f of first?.fields ?? []) {
        out[f.name] = initialValue(f);
      }
      return out;
    }
    case 'array':
      return Array.isArray(field.default) ? field.default : [];
    case 'map':
      return [] as IMapEntry[];
    case 'boolean':
      return typeof field.default === 'boolean' ? field.default : false;
    case 'integer':
    case 'number':
      return typeof field.default === 'number' ? String(field.default) : '';
    default:
      return field.default === null || field.default === undefined ? '' : String(field.default);
  }
}

export function initialValues(fields: IFieldSpec[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    out[f.name] = initialValue(f);
  }
  return out;
}

/** A body (from `copy`, a template, ...) as editable form values. */
export function valueFromBody(field: IFieldSpec, body: unknown): unknown {
  if (body === undefined) {
    return initialValue(field);
  }
  switch (field.kind) {
    case 'object':
      return valuesFromBody(field.fields ?? [], body as Record<string, unknown>);
    case 'union': {
      const record = (body ?? {}) as Record<string, unknown>;
      const tag = record[field.discriminator as string] ?? field.variants?.[0]?.tag;
      const variant = field.variants?.find(v => v.tag === tag) ?? field.variants?.[0];
      return {
        ...valuesFromBody(variant?.fields ?? [], record),
        [field.discriminator as string]: variant?.tag
      };
    }
    case 'array':
      return Array.isArray(body) ? body.map(item => (field.item ? valueFromBody(field.item, item) : item)) : [];
    case 'map':
      return Object.entries((body ?? {}) as Record<string, unknown>).map(([key, value]) => ({
        key,
        value: String(value)
      }));
    case 'boolean':
      return Boolean(body);
    default:
      return body === null ? '' : String(body);
  }
}

export function valuesFromBody(fields: IFieldSpec[], body: Record<string, unknown> | null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    out[f.name] = valueFromBody(f, body?.[f.name]);
  }
  return out;
}

/** Form values -> request body: empty optional values are left out. */
export function bodyFromValues(fields: IFieldSpec[], values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const converted = bodyValue(f, values[f.name]);
    if (converted !== undefined) {
      out[f.name] = converted;
    }
  }
  return out;
}

function bodyValue(field: IFieldSpec, value: unknown): unknown {
  switch (field.kind) {
    case 'object':
      return bodyFromValues(field.fields ?? [], (value ?? {}) as Record<string, unknown>);
    case 'union': {
      const record = (value ?? {}) as Record<string, unknown>;
      const tag = record[field.discriminator as string];
      const variant = field.variants?.find(v => v.tag === tag) ?? field.variants?.[0];
      return { [field.discriminator as string]: variant?.tag, ...bodyFromValues(variant?.fields ?? [], record) };
    }
    case 'array': {
      const items = Array.isArray(value) ? value : [];
      if (items.length === 0 && !field.required) {
        return undefined;
      }
      return items.map(item => (field.item ? bodyValue(field.item, item) : item));
    }
    case 'map': {
      const entries = (Array.isArray(value) ? value : []) as IMapEntry[];
      const out: Record<string, unknown> = {};
      for (const { key, value: v } of entries) {
        if (key.trim()) {
          out[key.trim()] = v;
        }
      }
      return Object.keys(out).length || field.required ? out : undefined;
    }
    case 'boolean':
      return Boolean(value);
    case 'integer':
    case 'number': {
      const text = String(value ?? '').trim();
      if (!text) {
        return field.required ? text : undefined;
      }
      const n = Number(text);
      return Number.isNaN(n) ? text : n;
    }
    default: {
      const text = String(value ?? '');
      if (!text && !field.required) {
        return field.default === '' ? '' : undefined;
      }
      return text;
    }
  }
}

// -- checks ------------------------------------------------------------------------

/** Client-side checks of what the schema says; path -> message. */
export function validate(
  fields: IFieldSpec[],
  values: Record<string, unknown>,
  __: Translate = identity,
  parent = ''
): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const f of fields) {
    Object.assign(errors, validateField(f, values?.[f.name], joinPath(parent, f.name), __));
  }
  return errors;
}

function validateField(field: IFieldSpec, value: unknown, path: string, __: Translate): Record<string, string> {
  const errors: Record<string, string> = {};
  switch (field.kind) {
    case 'object':
      return validate(field.fields ?? [], value as Record<string, unknown>, __, path);
    case 'union': {
      const record = (value ?? {}) as Record<string, unknown>;
      const variant = field.variants?.find(v => v.tag === record[field.discriminator as string]);
      return variant ? validate(variant.fields, record, __, path) : errors;
    }
    case 'array': {
      const items = Array.isArray(value) ? value : [];
      if (field.maxItems !== undefined && items.length > field.maxItems) {
        errors[path] = __('At most %1 items', field.maxItems);
      }
      items.forEach((item, i) => {
        if (field.item) {
          Object.assign(errors, validateField(field.item, item, joinPath(path, i), __));
        }
      });
      return errors;
    }
    case 'map': {
      const entries = (Array.isArray(value) ? value : []) as IMapEntry[];
      const keys = entries.map(e => e.key.trim()).filter(Boolean);
      if (new Set(keys).size !== keys.length) {
        errors[path] = __('Keys must be unique');
      } else if (entries.some(e => !e.key.trim() && e.value.trim())) {
        errors[path] = __('Every value needs a key');
      }
      return errors;
    }
    case 'boolean':
      return errors;
    case 'integer':
    case 'number': {
      const text = String(value ?? '').trim();
      if (!text) {
        if (field.required) {
          errors[path] = __('Required');
        }
        return errors;
      }
      const n = Number(text);
      if (Number.isNaN(n) || (field.kind === 'integer' && !Number.isInteger(n))) {
        errors[path] = field.kind === 'integer' ? __('Must be a whole number') : __('Must be a number');
      } else if (field.minimum !== undefined && n < field.minimum) {
        errors[path] = __('Must be at least %1', field.minimum);
      } else if (field.maximum !== undefined && n > field.maximum) {
        errors[path] = __('Must be at most %1', field.maximum);
      }
      return errors;
    }
    default: {
      const text = String(value ?? '');
      if (!text) {
        if (field.required && !(field.kind === 'enum' && field.nullable)) {
          errors[path] = __('Required');
        }
        return errors;
      }
      if (field.minLength !== undefined && text.length < field.minLength) {
        errors[path] = __('At least %1 characters', field.minLength);
      } else if (field.maxLength !== undefined && text.length > field.maxLength) {
        errors[path] = __('At most %1 characters', field.maxLength);
      } else if (field.pattern && !new RegExp(field.pattern).test(text)) {
        errors[path] = field.pattern === '^[A-Za-z0-9_-]{1,50}$'
          ? __('Use 1-50 letters, digits, - or _')
          : __('Does not match %1', field.pattern);
      }
      return errors;
    }
  }
}

// -- server errors -------------------------------------------------------------------

/**
 * The input that shows a server error about `field`: the field itself when
 * it is on the form, else its nearest shown ancestor, else '' (the form).
 */
export function errorTarget(field: string | null | undefined, shown: Iterable<string>): string {
  if (!field) {
    return '';
  }
  const known = new Set(shown);
  let path = field;
  while (path) {
    if (known.has(path)) {
      return path;
    }
    const cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
    path = cut > 0 ? path.slice(0, cut) : '';
  }
  return '';
}

/** `"algorithm.entry_point: 'x.py' is not..."` -> `"'x.py' is not..."`. */
export function stripFieldPrefix(message: string, field: string | null | undefined): string {
  if (field && message.startsWith(`${field}: `)) {
    return message.slice(field.length + 2);
  }
  return message;
}

/** Every input path a set of fields renders for the given values. */
export function shownPaths(fields: IFieldSpec[], values: Record<string, unknown>, parent = ''): string[] {
  const out: string[] = [];
  for (const f of fields) {
    const path = joinPath(parent, f.name);
    out.push(path);
    const value = values?.[f.name];
    if (f.kind === 'object') {
      out.push(...shownPaths(f.fields ?? [], value as Record<string, unknown>, path));
    } else if (f.kind === 'union') {
      const record = (value ?? {}) as Record<string, unknown>;
      const variant = f.variants?.find(v => v.tag === record[f.discriminator as string]);
      out.push(joinPath(path, f.discriminator as string));
      out.push(...shownPaths(variant?.fields ?? [], record, path));
    } else if (f.kind === 'array' && Array.isArray(value) && f.item) {
      value.forEach((item, i) => {
        const itemPath = joinPath(path, i);
        out.push(itemPath);
        if (f.item?.kind === 'object') {
          out.push(...shownPaths(f.item.fields ?? [], item as Record<string, unknown>, itemPath));
        }
      });
    }
  }
  return out;
}
