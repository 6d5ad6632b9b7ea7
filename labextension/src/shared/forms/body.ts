/**
 * Request bodies <-> the form's data, by the form's schema (openapi.ts):
 * a body from `copy`, a template's spec or a preset becomes form data with
 * only the schema's fields (values the way the form edits them); the form's
 * data becomes the create body with empty optional lists and maps left out.
 */
import { IJsonSchema, isMap, variantOf } from './openapi';

type Data = Record<string, unknown>;

function typeOf(schema: IJsonSchema): string | undefined {
  return Array.isArray(schema.type) ? schema.type.find(t => t !== 'null') : schema.type;
}

/** A body (or a part of it) as form data of `schema`; undefined when it has no value for it. */
export function formDataFromBody(schema: IJsonSchema, value: unknown): unknown {
  if (value === null || value === undefined) {
    return undefined;
  }
  const variant = variantOf(schema, value);
  if (variant) {
    return formDataFromBody(variant, value);
  }
  if (isMap(schema)) {
    // the form edits map values as text
    return Object.fromEntries(Object.entries(value as Data).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  }
  const type = typeOf(schema);
  if (schema.properties && typeof value === 'object' && !Array.isArray(value)) {
    const out: Data = {};
    for (const [name, sub] of Object.entries(schema.properties)) {
      const v = formDataFromBody(sub, (value as Data)[name]);
      if (v !== undefined) {
        out[name] = v;
      }
    }
    return out;
  }
  if (type === 'array') {
    return Array.isArray(value) ? value.map(item => formDataFromBody(schema.items ?? {}, item)) : undefined;
  }
  if (type === 'string' && typeof value !== 'string') {
    // e.g. a tuning parameter's values: a list in the body, comma-separated text in the form
    return Array.isArray(value) ? value.join(',') : String(value);
  }
  return value;
}

/** Form data -> the create body. */
export function bodyFromFormData(schema: IJsonSchema, data: Data): Data {
  return (bodyValue(schema, data, true) ?? {}) as Data;
}

function bodyValue(schema: IJsonSchema, value: unknown, required: boolean): unknown {
  if (value === undefined || value === null) {
    return undefined;
  }
  const variant = variantOf(schema, value);
  if (variant) {
    return bodyValue(variant, value, required);
  }
  if (isMap(schema)) {
    const entries = Object.entries(value as Data).filter(([k]) => k.trim());
    return entries.length || required ? Object.fromEntries(entries.map(([k, v]) => [k.trim(), v])) : undefined;
  }
  if (schema.properties && typeof value === 'object' && !Array.isArray(value)) {
    const requiredNames = new Set(schema.required ?? []);
    const out: Data = {};
    for (const [name, v] of Object.entries(value as Data)) {
      const sub = schema.properties[name];
      // fields the schema does not show (a copied algorithm's inline sources) travel unchanged
      const converted = sub ? bodyValue(sub, v, requiredNames.has(name)) : v;
      if (converted !== undefined) {
        out[name] = converted;
      }
    }
    return out;
  }
  if (Array.isArray(value)) {
    if (!value.length && !required) {
      return undefined;
    }
    return value.map(item => bodyValue(schema.items ?? {}, item, true) ?? null);
  }
  if (value === '' && !required && schema.default !== '') {
    return undefined;
  }
  return value;
}

/**
 * List items as the form gets them from a body or a preset (an endpoint's
 * first stage resource, `{}`), with their fields' defaults filled in as for
 * an item added with the add button (rjsf fills none into items it is given).
 */
export function withItemDefaults(schema: IJsonSchema, value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = schema.items ?? {};
    return value.map(item => (items.properties ? fillDefaults(items, item) : withItemDefaults(items, item)));
  }
  const fields = (variantOf(schema, value) ?? schema).properties;
  if (fields && value && typeof value === 'object') {
    const out: Data = { ...(value as Data) };
    for (const [name, sub] of Object.entries(fields)) {
      if (out[name] !== undefined) {
        out[name] = withItemDefaults(sub, out[name]);
      }
    }
    return out;
  }
  return value;
}

/** An object with the defaults of its schema where it has no value (nested objects too). */
function fillDefaults(schema: IJsonSchema, value: unknown): unknown {
  if (value !== undefined && value !== null && (typeof value !== 'object' || Array.isArray(value))) {
    return value;
  }
  const out: Data = { ...((value ?? {}) as Data) };
  for (const [name, sub] of Object.entries(schema.properties ?? {})) {
    if (out[name] !== undefined) {
      out[name] = sub.properties ? fillDefaults(sub, out[name]) : withItemDefaults(sub, out[name]);
    } else if (sub.default !== undefined) {
      out[name] = JSON.parse(JSON.stringify(sub.default));
    } else if (sub.properties) {
      const nested = fillDefaults(sub, undefined) as Data;
      if (Object.keys(nested).length) {
        out[name] = nested;
      }
    }
  }
  return out;
}
