/**
 * The run parameters of a pipeline in a form: each input's text (its
 * default to start with) and the value its KFP type asks for, cast the way
 * the server checks them (`ir.check_run_parameters`): NUMBER_INTEGER takes a
 * whole number (5 or 5.0), NUMBER_DOUBLE any number, BOOLEAN true / false,
 * LIST a JSON list, STRUCT a JSON object, STRING the text as typed. Pure,
 * so it is unit-tested; messages are msgids the form translates.
 */
import { N_ } from '../../shared/i18n';
import type { IPipelineInput } from './api';

/** How an input is edited. */
export type ParameterControl = 'text' | 'number' | 'checkbox' | 'json';

export function controlOf(type: string): ParameterControl {
  switch (type) {
    case 'NUMBER_INTEGER':
    case 'NUMBER_DOUBLE':
      return 'number';
    case 'BOOLEAN':
      return 'checkbox';
    case 'LIST':
    case 'STRUCT':
      return 'json';
    default:
      return 'text';
  }
}

/** A value as the text its input shows (a default, or a copied run's value). */
export function parameterText(value: unknown, type: string): string {
  if (value === undefined || value === null) {
    return type === 'BOOLEAN' ? 'false' : '';
  }
  if (typeof value === 'string') {
    return value;
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export type CastResult = { value: unknown } | { error: string };

/** The text of an input as the value its type asks for, or the reason it is not one. */
export function castParameter(text: string, type: string): CastResult {
  const t = text.trim();
  switch (type) {
    case 'NUMBER_INTEGER': {
      const n = Number(t);
      return t !== '' && Number.isFinite(n) && Number.isInteger(n) ? { value: n } : { error: N_('Must be a whole number') };
    }
    case 'NUMBER_DOUBLE': {
      const n = Number(t);
      return t !== '' && Number.isFinite(n) ? { value: n } : { error: N_('Must be a number') };
    }
    case 'BOOLEAN': {
      const lower = t.toLowerCase();
      return lower === 'true' || lower === 'false' ? { value: lower === 'true' } : { error: N_('Must be true or false') };
    }
    case 'LIST':
    case 'STRUCT': {
      let value: unknown;
      try {
        value = JSON.parse(t);
      } catch {
        return { error: N_('Must be valid JSON') };
      }
      if (type === 'LIST') {
        return Array.isArray(value) ? { value } : { error: N_('Must be a JSON list, e.g. [1, 2]') };
      }
      return value !== null && typeof value === 'object' && !Array.isArray(value)
        ? { value }
        : { error: N_('Must be a JSON object, e.g. {"key": "value"}') };
    }
    default:
      return { value: text };
  }
}

/** The inputs the form sets (artifact inputs come from tasks, not from the form). */
export function formParameters(inputs: readonly IPipelineInput[]): IPipelineInput[] {
  return inputs.filter(i => i.kind === 'parameter');
}

/** The texts a form starts with: the defaults (or a copied run's values). */
export function initialTexts(inputs: readonly IPipelineInput[], given: { [name: string]: unknown } = {}): { [name: string]: string } {
  const out: { [name: string]: string } = {};
  for (const input of formParameters(inputs)) {
    out[input.name] = parameterText(input.name in given ? given[input.name] : input.default, input.type);
  }
  return out;
}

/**
 * The parameters of the create body and the errors by field path
 * (`parameters.a`). An empty input with a default or marked optional is
 * left out (the server applies the default); an empty required one is an
 * error. A checkbox (BOOLEAN) is never empty.
 */
export function castParameters(
  inputs: readonly IPipelineInput[],
  texts: { [name: string]: string }
): { values: { [name: string]: unknown }; errors: { [path: string]: string } } {
  const values: { [name: string]: unknown } = {};
  const errors: { [path: string]: string } = {};
  for (const input of formParameters(inputs)) {
    const text = texts[input.name] ?? '';
    if (text.trim() === '' && input.type !== 'BOOLEAN') {
      const hasDefault = input.default !== null && input.default !== undefined;
      if (!hasDefault && !input.optional) {
        errors[`parameters.${input.name}`] = N_('Required');
      }
      continue;
    }
    const cast = castParameter(text, input.type);
    if ('error' in cast) {
      errors[`parameters.${input.name}`] = cast.error;
    } else {
      values[input.name] = cast.value;
    }
  }
  return { values, errors };
}
