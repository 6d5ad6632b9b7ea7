/**
 * The server's OpenAPI document -> the JSON schema a create form renders
 * and validates (react-jsonschema-form): one named schema (`TrainingCreate`)
 * made self-contained and plain.
 *
 * - `$ref`s are inlined (the schemas are not recursive; a cycle stops at an
 *   empty object);
 * - `Optional[X]` (`anyOf [X, null]`) becomes X: an empty optional field is
 *   left out of the body, never sent as null; `default: null` goes;
 * - a union of scalars (`int | str`, or `list | str` such as a tuning
 *   parameter's values) becomes text, as the server parses text;
 * - a discriminated union (`oneOf` + `discriminator`, the algorithm) keeps
 *   its variants and its tag property (required in each variant), without
 *   the OpenAPI `mapping`;
 * - `additionalProperties: false` goes (the server names unknown fields;
 *   the form only sends its own).
 */
import type { IJsonSchema, IOpenApiDocument } from '../api/meta';

export type { IJsonSchema, IOpenApiDocument };

const SCALARS = ['string', 'integer', 'number', 'boolean'];

/** A `$ref` resolved against the document, its sibling keys kept. */
export function resolveRef(doc: IOpenApiDocument, schema: IJsonSchema): IJsonSchema {
  let node = schema;
  for (let i = 0; node.$ref && i < 20; i++) {
    const name = refName(node.$ref);
    const target = doc.components.schemas[name];
    if (!target) {
      throw new Error(`schema ${node.$ref} is not in the OpenAPI document`);
    }
    const { $ref: _ref, ...rest } = node;
    node = { ...target, ...rest };
  }
  return node;
}

function refName(ref: string): string {
  return ref.split('/').pop() as string;
}

function typeOf(schema: IJsonSchema): string | undefined {
  return Array.isArray(schema.type) ? schema.type.find(t => t !== 'null') : schema.type;
}

/** The named schema of the document, self-contained; `hidden` top-level fields are left out. */
export function formSchema(doc: IOpenApiDocument, name: string, hidden: readonly string[] = []): IJsonSchema {
  const root = doc.components.schemas[name];
  if (!root) {
    throw new Error(`the server's OpenAPI document has no schema ${name}`);
  }
  const schema = plain(doc, root, [name]);
  const drop = new Set(hidden.filter(h => !/[.[]/.test(h)));
  if (schema.properties) {
    schema.properties = Object.fromEntries(Object.entries(schema.properties).filter(([k]) => !drop.has(k)));
  }
  if (schema.required) {
    schema.required = schema.required.filter(k => !drop.has(k));
  }
  return schema;
}

function plain(doc: IOpenApiDocument, raw: IJsonSchema, seen: string[]): IJsonSchema {
  if (raw.$ref) {
    const name = refName(raw.$ref);
    if (seen.includes(name)) {
      return { type: 'object' };
    }
    seen = [...seen, name];
  }
  const { anyOf, oneOf, properties, items, additionalProperties, discriminator, ...rest } = resolveRef(doc, raw);
  const out: IJsonSchema = { ...rest };
  if (out.default === null) {
    delete out.default;
  }
  if (anyOf) {
    const options = anyOf.map(o => resolveRef(doc, o)).filter(o => o.type !== 'null');
    if (options.length === 1) {
      // Optional[X]: the outer title, description and default win
      return plain(doc, { ...options[0], ...out }, seen);
    }
    if (options.some(o => typeOf(o) === 'string') || options.every(o => SCALARS.includes(String(typeOf(o))))) {
      return { ...out, type: 'string' };
    }
    out.anyOf = options.map(o => plain(doc, o, seen));
  }
  if (oneOf) {
    out.oneOf = oneOf.map(o => plain(doc, o, seen));
    if (discriminator) {
      const tag = discriminator.propertyName;
      out.type = 'object';
      out.discriminator = { propertyName: tag };
      // every variant names its tag (the form always sets it; ajv's discriminator needs it required)
      for (const variant of out.oneOf) {
        variant.required = [...new Set([tag, ...(variant.required ?? [])])];
      }
    }
  }
  if (properties) {
    out.properties = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, plain(doc, v, seen)]));
  }
  if (items) {
    out.items = plain(doc, items, seen);
  }
  if (additionalProperties && typeof additionalProperties === 'object') {
    out.additionalProperties = plain(doc, additionalProperties, seen);
  }
  return out;
}

/** A key/value map (`hyperparameters`): an object whose keys are free. */
export function isMap(schema: IJsonSchema): boolean {
  return typeOf(schema) === 'object' && !schema.properties && !schema.oneOf && typeof schema.additionalProperties === 'object';
}

/** A discriminated union (`algorithm`): its tag property and variants. */
export function unionOf(schema: IJsonSchema): { tag: string; variants: { value: string; schema: IJsonSchema }[] } | null {
  const tag = schema.discriminator?.propertyName;
  if (!tag || !schema.oneOf) {
    return null;
  }
  return {
    tag,
    variants: schema.oneOf.map(v => {
      const t = v.properties?.[tag];
      return { value: String(t?.const ?? t?.default ?? t?.enum?.[0] ?? ''), schema: v };
    })
  };
}

/** The variant of a union that a value is (by its tag; the first one otherwise). */
export function variantOf(schema: IJsonSchema, value: unknown): IJsonSchema | null {
  const union = unionOf(schema);
  if (!union) {
    return null;
  }
  const tag = (value as Record<string, unknown> | null | undefined)?.[union.tag];
  return (union.variants.find(v => v.value === tag) ?? union.variants[0])?.schema ?? null;
}
