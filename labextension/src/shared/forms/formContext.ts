/** What the form's templates, fields and widgets read from the open form (rjsf's `formContext`). */
import type * as React from 'react';

import type { ITrans } from '../i18n';
import type { IChoice } from './formKinds';

/** A section of the guide, translated, with the top-level fields placed in it. */
export interface IFormSection {
  id: string;
  title: string;
  fields: string[];
}

/** The options of a field that picks something, and the label of its empty option. */
export interface IFieldChoices {
  options: readonly IChoice[];
  /** `(choose)`, `(default: cpu-1)`. */
  empty: string;
}

/** What the open form offers its fields; the functions read the form's current state. */
export interface IFormContext {
  trans: ITrans;
  /** Bumped when what the form shows besides its data changed (see CreateFormPanel.formContext). */
  readonly version: number;
  sections(): readonly IFormSection[];
  /** Rendered first in a section (the experiment and template pickers). */
  before(section: string): React.ReactNode;
  /** The choices of a field (generic path), or null for a text input. */
  choices(path: string): IFieldChoices | null;
  /** Problems of key/value rows (a repeated key), by path: they block the submit. */
  readonly problems: Map<string, string>;
  /** JupyterLab's field template compares values with these (not shown here). */
  readonly defaultFormData: Record<string, unknown>;
}

/** The generic path a field's uiSchema carries (`ui:options.path`). */
export function pathOption(uiSchema: unknown): string {
  const options = (uiSchema as { 'ui:options'?: { path?: unknown } } | undefined)?.['ui:options'];
  return typeof options?.path === 'string' ? options.path : '';
}
