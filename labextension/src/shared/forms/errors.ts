/**
 * Errors of a create form: the server's 4xx `field` placed under the input
 * it names (or its nearest shown ancestor, or on top of the form), and the
 * browser-side checks of the schema in the guide's words.
 */
import type { ErrorSchema, FormValidation, RJSFValidationError } from '@rjsf/utils';

import type { ITrans } from '../i18n';
import { IJsonSchema, isMap, variantOf } from './openapi';
import { PathPart, genericPath, joinPath, parsePath } from './paths';

/**
 * The path whose input shows a server error about `field`: the field
 * itself when the form renders it, else its nearest rendered ancestor, else
 * '' (the form). `shown(generic)` tells hidden fields apart; `extra` are
 * paths shown outside the generated fields (the experiment picker).
 */
export function errorTarget(
  schema: IJsonSchema,
  data: unknown,
  field: string | null | undefined,
  shown: (generic: string) => boolean = () => true,
  extra: readonly string[] = []
): string {
  if (!field) {
    return '';
  }
  const outside = extra.find(p => field === p || field.startsWith(`${p}.`) || field.startsWith(`${p}[`));
  if (outside) {
    return outside;
  }
  let node: IJsonSchema | null = schema;
  let value: unknown = data;
  let path = '';
  for (const part of parsePath(field)) {
    const next = step(node, value, part);
    if (!next) {
      break;
    }
    const nextPath = joinPath(path, part);
    if (!shown(genericPath(nextPath))) {
      break;
    }
    [node, value, path] = [next.schema, next.value, nextPath];
    if (isMap(node)) {
      break; // a map's keys have no input of their own
    }
  }
  return path;
}

function step(schema: IJsonSchema, value: unknown, part: PathPart): { schema: IJsonSchema; value: unknown } | null {
  const record = (value ?? {}) as Record<string | number, unknown>;
  if (typeof part === 'number') {
    return schema.items && Array.isArray(value) && part >= 0 && part < value.length ? { schema: schema.items, value: value[part] } : null;
  }
  // a union: the fields of the variant the value is
  const sub = (variantOf(schema, value) ?? schema).properties?.[part];
  return sub ? { schema: sub, value: record[part] } : null;
}

/** An error schema with one message at `path` (`datasets[0].path`). */
export function errorSchemaAt(path: string, message: string): ErrorSchema {
  const out: Record<string | number, unknown> = {};
  let node = out;
  for (const part of parsePath(path)) {
    const child: Record<string | number, unknown> = {};
    node[part] = child;
    node = child;
  }
  node.__errors = [message];
  return out as ErrorSchema;
}

/**
 * rjsf's custom validation: `problems` (path -> message, the key/value rows'
 * repeated keys) added to its error handlers, made where the data has none.
 */
export function addProblems(errors: FormValidation, problems: ReadonlyMap<string, string>): FormValidation {
  const handler = (): FormValidation => {
    const h = { __errors: [] as string[] } as unknown as { __errors: string[]; addError(message: string): void };
    h.addError = (message: string) => void h.__errors.push(message);
    return h as unknown as FormValidation;
  };
  for (const [path, message] of problems) {
    let node = errors as unknown as Record<string | number, FormValidation>;
    for (const part of parsePath(path)) {
      node[part] ??= handler();
      node = node[part] as unknown as Record<string | number, FormValidation>;
    }
    (node as unknown as FormValidation).addError(message);
  }
  return errors;
}

/** `"algorithm.entry_point: 'x.py' is not..."` -> `"'x.py' is not..."`. */
export function stripFieldPrefix(message: string, field: string | null | undefined): string {
  if (field && message.startsWith(`${field}: `)) {
    return message.slice(field.length + 2);
  }
  return message;
}

/** The pattern of resource names; its message says it in words. */
export const NAME_PATTERN = '^[A-Za-z0-9_-]{1,50}$';

/**
 * The schema checks (ajv's errors) in the guide's words; errors that only
 * say a union did not match (its variant's own errors say why) are dropped.
 */
export function translateErrors(errors: RJSFValidationError[], trans: ITrans): RJSFValidationError[] {
  const out: RJSFValidationError[] = [];
  for (const e of errors) {
    const p = (e.params ?? {}) as Record<string, unknown>;
    let message: string | undefined;
    switch (e.name) {
      case 'oneOf':
      case 'anyOf':
      case 'if':
        continue;
      case 'required':
        message = trans.__('Required');
        break;
      case 'pattern':
        message = p.pattern === NAME_PATTERN ? trans.__('Use 1-50 letters, digits, - or _') : trans.__('Does not match %1', p.pattern);
        break;
      case 'minLength':
        message = Number(p.limit) === 1 ? trans.__('Required') : trans.__('At least %1 characters', p.limit);
        break;
      case 'maxLength':
        message = trans.__('At most %1 characters', p.limit);
        break;
      case 'minimum':
        message = trans.__('Must be at least %1', p.limit);
        break;
      case 'maximum':
        message = trans.__('Must be at most %1', p.limit);
        break;
      case 'exclusiveMinimum':
        message = trans.__('Must be more than %1', p.limit);
        break;
      case 'exclusiveMaximum':
        message = trans.__('Must be less than %1', p.limit);
        break;
      case 'minItems':
        message = trans.__('At least %1 items', p.limit);
        break;
      case 'maxItems':
        message = trans.__('At most %1 items', p.limit);
        break;
      case 'type':
        message = p.type === 'integer' ? trans.__('Must be a whole number') : p.type === 'number' ? trans.__('Must be a number') : e.message;
        break;
      case 'enum':
        message = trans.__('Choose one of %1', ((p.allowedValues as unknown[]) ?? []).join(', '));
        break;
      default:
        message = e.message;
    }
    out.push({ ...e, message, stack: `${e.property ?? ''} ${message ?? ''}`.trim() });
  }
  return out;
}
