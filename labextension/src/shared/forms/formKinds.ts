/**
 * What a create form needs to know about one kind of resource: the schema
 * and layout hints, how to create and copy, its headings, whether it picks
 * an experiment and template (trainings and tunings), and what to open once
 * created. The foundation registers experiment / training / template; each
 * later area registers its own kinds from its register module.
 */
import type { IResource } from '../api/types';
import type { EasyMakerContext } from '../context';
import type { ITrans } from '../i18n';
import type { IFormHints } from './hints';

/**
 * What a form of a nested resource belongs to (a stage's endpoint, a stage
 * resource's endpoint and stage): not part of the create body, part of the path.
 */
export type FormParent = { [key: string]: string };

export interface IFormKind {
  hints: IFormHints;
  create(ctx: EasyMakerContext, body: Record<string, unknown>, parent: FormParent): Promise<IResource>;
  /** A create body pre-filled from an existing resource (the guide's copy). */
  copy?(ctx: EasyMakerContext, ref: string): Promise<Record<string, unknown>>;
  heading(trans: ITrans, copy: boolean, parent: FormParent): string;
  submitLabel(trans: ITrans): string;
  /** Experiment (existing or new) and training-template pickers. */
  experimentPickers?: boolean;
  /**
   * Choices of string fields, read when the form opens (e.g. `framework`
   * from `model-frameworks`): the field becomes a select.
   */
  choices?: { [path: string]: (ctx: EasyMakerContext) => Promise<IChoice[]> };
  /** Open what was created (its detail tab or its list). */
  opened(ctx: EasyMakerContext, created: IResource, parent: FormParent): void;
}

export interface IChoice {
  value: string;
  label: string;
  disabled?: boolean;
}

const KINDS = new Map<string, IFormKind>();

export function registerFormKind(kind: string, definition: IFormKind): void {
  KINDS.set(kind, definition);
}

export function formKind(kind: string): IFormKind {
  const definition = KINDS.get(kind);
  if (!definition) {
    throw new Error(`no create form is registered for ${kind}`);
  }
  return definition;
}
