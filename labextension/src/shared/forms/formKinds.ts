/**
 * What a create form needs to know about one kind of resource: the schema
 * and layout hints, how to create and copy, its headings, the choices of
 * fields that pick something (an ACTIVE model, a framework, a built-in
 * algorithm), extra controls (the experiment and template pickers of
 * trainings and tunings), and what to open once created. Each area
 * registers its kinds from its area module.
 */
import type * as React from 'react';

import type { IResource } from '../api/types';
import type { EasyMakerContext } from '../context';
import type { ITrans } from '../i18n';
import type { IFormHints } from './hints';

/**
 * What a form of a nested resource belongs to (a stage's endpoint, a stage
 * resource's endpoint and stage): not part of the create body, part of the path.
 */
export type FormParent = { [key: string]: string };

/** How a create form is opened. */
export interface ICreateFormOptions {
  /** A kind registered with registerFormKind (`training`, `model`, ...). */
  kind: string;
  /** Pre-fill from this resource's `copy` body. */
  copyFrom?: string;
  /** Edit this resource (its kind's `edit`): the form is filled with it and saved over it. */
  editOf?: string;
  /** Training / tuning: start from this template. */
  templateId?: string;
  /** Training / tuning: put it in this experiment. */
  experimentId?: string;
  /** Body fields to pre-fill (e.g. `{ model_id }` from a model's page). */
  preset?: Record<string, unknown>;
  /** What a nested resource belongs to (e.g. `{ endpoint }` for a stage). */
  parent?: FormParent;
}

/** One option of a field that picks something. */
export interface IChoice {
  value: string;
  label: string;
  disabled?: boolean;
  /** Shown under the field while this option is chosen. */
  description?: string;
  /** What the option stands for (a built-in algorithm with its hyperparameters). */
  data?: unknown;
}

/** The open form, as its kind's extras see it. */
export interface IFormHost {
  readonly ctx: EasyMakerContext;
  readonly options: ICreateFormOptions;
  readonly trans: ITrans;
  /** Prefix of the form's element ids. */
  readonly idPrefix: string;
  /** The loaded choices of a field (generic path). */
  choices(path: string): readonly IChoice[];
  /** Fill the form from a create body (a template's spec); the name and description stay unless `withIdentity`. */
  applyBody(body: Record<string, unknown>, withIdentity: boolean): void;
  /** Render again (the extras changed). */
  refresh(): void;
}

/** Controls a kind adds to the generated fields (kept in their own state). */
export interface IFormAddon {
  /** The guide's section it is rendered in, before the section's fields. */
  readonly section: string;
  /** Paths of server errors it shows (`experiment_id`). */
  readonly paths: readonly string[];
  /** Load what it offers and apply the form's options; after the form's choices are loaded. */
  init(): Promise<void>;
  /** What a copied body says about it. */
  applyBody(body: Record<string, unknown>): void;
  /** Its checks before the form is sent: path -> message. */
  validate(): { [path: string]: string };
  /** What it adds to the create body. */
  body(): Record<string, unknown>;
  render(errors: { [path: string]: string }, clearError: (path: string) => void): React.ReactNode;
}

export interface IFormKind {
  hints: IFormHints;
  create(ctx: EasyMakerContext, body: Record<string, unknown>, parent: FormParent): Promise<IResource>;
  /** A create body pre-filled from an existing resource (the guide's copy). */
  copy?(ctx: EasyMakerContext, ref: string): Promise<Record<string, unknown>>;
  heading(trans: ITrans, copy: boolean, parent: FormParent): string;
  submitLabel(trans: ITrans): string;
  /** Where every field may change after creation (a template): the same form, filled with the resource and saved over it. */
  edit?: {
    load(ctx: EasyMakerContext, ref: string): Promise<Record<string, unknown>>;
    save(ctx: EasyMakerContext, ref: string, body: Record<string, unknown>): Promise<IResource>;
    heading(trans: ITrans): string;
    submitLabel(trans: ITrans): string;
  };
  /**
   * Choices of fields by generic path (`framework`, `model_id`,
   * `resources[].model`), read when the form opens: the field becomes a
   * select of them.
   */
  choices?: { [path: string]: (ctx: EasyMakerContext) => Promise<IChoice[]> };
  /** Extra controls of the form (the experiment and template pickers). */
  addon?(host: IFormHost): IFormAddon;
  /**
   * The form's data changed: the kind may fill more fields (a built-in
   * algorithm's hyperparameters); returns the data to use, or nothing.
   */
  changed?(host: IFormHost, previous: Record<string, unknown>, next: Record<string, unknown>): Record<string, unknown> | void;
  /** Open what was created (its detail tab or its list). */
  opened(ctx: EasyMakerContext, created: IResource, parent: FormParent): void;
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
