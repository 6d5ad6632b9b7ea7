/**
 * How a create form is laid out: the console guide's sections and labels
 * (English msgids, translated by the form). Each area keeps its forms' hints
 * in its `form.ts`. Fields the server adds later and that are not listed
 * still appear, in "Additional settings".
 */
import { N_ } from '../i18n';

export interface IFormSectionHint {
  id: string;
  /** English title (msgid). */
  title: string;
  fields: string[];
}

export interface IFormHints {
  /** Schema name in the OpenAPI document. */
  schema: string;
  sections: IFormSectionHint[];
  /** Generic field path -> English label (msgid). */
  labels: { [path: string]: string };
  /** Generic field path -> English help text (msgid). */
  help?: { [path: string]: string };
  /** Generic paths not rendered (set by pickers or internal). */
  hidden: string[];
  /** Union variant tag -> English label. */
  variants?: { [tag: string]: string };
  /** Generic paths of secrets (a password, a URL with one): masked inputs. */
  passwords?: string[];
  /** Generic path -> the least rows of a text area that grows with its text. */
  textareas?: { [path: string]: number };
}

/** Sections with every top-level field placed (unknown ones go last). */
export function placeFields(hints: IFormHints, names: string[]): IFormSectionHint[] {
  const hidden = new Set(hints.hidden);
  const placed = new Set(hints.sections.flatMap(s => s.fields));
  const extra = names.filter(n => !placed.has(n) && !hidden.has(n));
  const sections = hints.sections.map(s => ({ ...s, fields: s.fields.filter(f => names.includes(f)) }));
  if (extra.length) {
    const additional = sections.find(s => s.id === 'additional');
    if (additional) {
      additional.fields.push(...extra);
    } else {
      sections.push({ id: 'additional', title: N_('Additional settings'), fields: extra });
    }
  }
  return sections;
}
