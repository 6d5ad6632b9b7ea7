/**
 * A create form tab, on JupyterLab's own form component (`FormComponent`:
 * react-jsonschema-form with JupyterLab's templates, as the settings
 * editor), fed from the server's OpenAPI document: the schema's types and
 * limits are checked in the browser (ajv), the guide's sections and labels
 * come from the kind's hints, fields that pick something become selects,
 * and a 4xx answer's `field` is shown under the input it names (or its
 * nearest shown ancestor, or on top of the form).
 */
import { Notification } from '@jupyterlab/apputils';
import { FormComponent } from '@jupyterlab/ui-components';
import type { ErrorSchema, FormValidation, RJSFValidationError, UiSchema } from '@rjsf/utils';
import { customizeValidator } from '@rjsf/validator-ajv8';
import * as React from 'react';

import { ApiError } from '../api/client';
import type { IResource } from '../api/types';
import type { EasyMakerContext } from '../context';
import { useTrans } from '../i18n/react';
import { EasyMakerPanel } from '../panels/base';
import { errorText } from '../state/listModel';
import { bodyFromFormData, formDataFromBody, withItemDefaults } from './body';
import { addProblems, errorSchemaAt, errorTarget, stripFieldPrefix, translateErrors } from './errors';
import { FIELDS } from './fields';
import type { IFieldChoices, IFormContext, IFormSection } from './formContext';
import { IChoice, ICreateFormOptions, IFormAddon, IFormHost, IFormKind, formKind } from './formKinds';
import { IFormHints, placeFields } from './hints';
import { IJsonSchema, formSchema } from './openapi';
import { parsePath } from './paths';
import { buildUiSchema } from './uiSchema';
import { WIDGETS } from './widgets';

export type { ICreateFormOptions };

type Data = Record<string, unknown>;

/** ajv with OpenAPI's discriminator (only the chosen algorithm variant is checked). */
const VALIDATOR = customizeValidator({ ajvOptionsOverrides: { discriminator: true } });

/** rjsf's defaults: lists start empty (the add button adds the first item). */
const DEFAULTS_BEHAVIOUR = { arrayMinItems: { populate: 'never' as const } };

let counter = 0;

export class CreateFormPanel extends EasyMakerPanel implements IFormHost {
  constructor(ctx: EasyMakerContext, readonly options: ICreateFormOptions) {
    super(ctx);
    this.addClass('jp-EasyMaker-createForm');
    this.idPrefix = `jp-EasyMaker-f${++counter}`;
    this.id = `jp-EasyMaker-create-${options.kind}-${counter}`;
    this.node.dataset.kind = options.kind;
    this.definition = formKind(options.kind);
    this.hints = this.definition.hints;
    this.title.label = this.heading;
    this.title.closable = true;
    this._context = {
      trans: ctx.trans,
      version: 0,
      sections: () => this._sections,
      before: section => (this._addon?.section === section ? this._addon.render(this.addonErrors, path => this.clearAddonError(path)) : null),
      choices: path => this._fieldChoices(path),
      problems: new Map(),
      defaultFormData: {}
    };
    void this._init();
  }

  readonly definition: IFormKind;
  readonly hints: IFormHints;
  /** Prefix of the form's element ids (unique: several forms may be open). */
  readonly idPrefix: string;
  schema: IJsonSchema | null = null;
  uiSchema: UiSchema | null = null;
  formData: Data = {};
  /** The server's error under its field: the path and message. */
  serverError: { path: string; message: string } | null = null;
  /** Errors the kind's extra controls show (the experiment picker). */
  addonErrors: { [path: string]: string } = {};
  formError: string | null = null;
  loadError: string | null = null;
  ready = false;
  submitting = false;
  /** A submit was tried: from then on the checks run as the user types. */
  tried = false;

  /** The kind's edit, when this form edits a resource rather than creating one. */
  get editing(): IFormKind['edit'] | null {
    return this.options.editOf ? this.definition.edit ?? null : null;
  }

  get heading(): string {
    return this.editing?.heading(this.trans) ?? this.definition.heading(this.trans, !!this.options.copyFrom, this.options.parent ?? {});
  }

  get submitLabel(): string {
    return this.editing?.submitLabel(this.trans) ?? this.definition.submitLabel(this.trans);
  }

  /**
   * What the form's templates and widgets read. rjsf re-renders a field
   * only when its props differ deeply: a new object (a new `version`) when
   * what is rendered outside the form's data changed (the pickers, their
   * errors).
   */
  get formContext(): IFormContext {
    if (this._context.version !== this._version) {
      this._context = { ...this._context, version: this._version };
    }
    return this._context;
  }

  /** Render again, the form's extras included. */
  refresh(): void {
    this._version++;
    this.update();
  }

  /** The server error as rjsf shows it. */
  get extraErrors(): ErrorSchema | undefined {
    return this.serverError ? errorSchemaAt(this.serverError.path, this.serverError.message) : undefined;
  }

  choices(path: string): readonly IChoice[] {
    return this._choices[path] ?? [];
  }

  /** Fill the form from a create body (copy, a template's spec, a preset). */
  applyBody(body: Record<string, unknown>, withIdentity: boolean): void {
    const schema = this.schema;
    if (!schema) {
      return;
    }
    const data = withItemDefaults(schema, formDataFromBody(schema, body) ?? {}) as Data;
    const next: Data = { ...this.formData };
    for (const name of Object.keys(schema.properties ?? {})) {
      if (name in body && (withIdentity || (name !== 'name' && name !== 'description'))) {
        next[name] = data[name];
      }
    }
    this.formData = next;
    this._addon?.applyBody(body);
    this.refresh();
  }

  clearAddonError(path: string): void {
    if (this.addonErrors[path]) {
      const { [path]: _gone, ...rest } = this.addonErrors;
      this.addonErrors = rest;
      this.refresh();
    }
  }

  /** The form changed (rjsf's onChange): keep its data; an edited field loses the server's message. */
  onFormChange(next: Data): void {
    const previous = this.formData;
    const changed = this.definition.changed?.(this, previous, next);
    this.formData = changed ?? next;
    const error = this.serverError;
    if (error && JSON.stringify(valueAt(previous, error.path)) !== JSON.stringify(valueAt(this.formData, error.path))) {
      this.serverError = null;
    }
    this.update();
  }

  /** rjsf's checks passed: the kind's own, then the create call. */
  async submit(data: Data): Promise<void> {
    const { trans } = this;
    if (this.submitting || !this.schema) {
      return;
    }
    this.formData = data;
    this.tried = true;
    this.addonErrors = this._addon?.validate() ?? {};
    this.formError = null;
    if (Object.keys(this.addonErrors).length) {
      this._invalid();
      return;
    }
    this.submitting = true;
    this.refresh();
    try {
      const body = { ...bodyFromFormData(this.schema, data), ...(this._addon?.body() ?? {}) };
      const { editing } = this;
      const created = editing
        ? await editing.save(this.ctx, this.options.editOf as string, body)
        : await this.definition.create(this.ctx, body, this.options.parent ?? {});
      Notification.success(editing ? trans.__('%1 saved', created.name) : trans.__('%1 created', created.name), { autoClose: 3000 });
      this._opened(created);
      this.close();
    } catch (error) {
      this._refused(error);
    } finally {
      this.submitting = false;
      this.refresh();
    }
  }

  /** rjsf's checks failed: the kind's own checks too, then the summary on top. */
  onInvalid(): void {
    this.tried = true;
    this.addonErrors = this._addon?.validate() ?? {};
    this._invalid();
  }

  /** Problems of key/value rows block the submit (rjsf's custom validation). */
  validateRows(errors: FormValidation): FormValidation {
    return addProblems(errors, this.formContext.problems);
  }

  transformErrors(errors: RJSFValidationError[]): RJSFValidationError[] {
    return translateErrors(errors, this.trans);
  }

  protected renderPanel(): JSX.Element {
    return <CreateFormView panel={this} />;
  }

  private async _init(): Promise<void> {
    const { ctx, options, definition } = this;
    try {
      const doc = await ctx.api.meta.openapi();
      const schema = formSchema(doc, this.hints.schema, this.hints.hidden);
      const loaders = Object.entries(definition.choices ?? {});
      const loaded = await Promise.all(loaders.map(([, load]) => load(ctx).catch(() => null)));
      loaders.forEach(([path], i) => {
        if (loaded[i]) {
          this._choices[path] = loaded[i] as IChoice[];
        }
      });
      const names = Object.keys(schema.properties ?? {});
      const choicePaths = new Set([...loaders.map(([path]) => path), ...['instance_type', 'backend'].filter(n => names.includes(n))]);
      this.uiSchema = buildUiSchema(schema, this.hints, this.trans, { choices: choicePaths });
      this.schema = schema;
      this._sections = placeFields(this.hints, names).map(s => ({ id: s.id, title: this.trans.__(s.title), fields: s.fields }));
      if (ctx.settings.defaultBackend && names.includes('backend')) {
        this.formData = { ...this.formData, backend: ctx.settings.defaultBackend };
      }
      this._addon = definition.addon?.(this) ?? null;
      await this._addon?.init();
      if (options.copyFrom && definition.copy) {
        this.applyBody(await definition.copy(ctx, options.copyFrom), true);
      }
      if (options.editOf && definition.edit) {
        this.applyBody(await definition.edit.load(ctx, options.editOf), true);
      }
      if (options.preset) {
        this.applyBody(options.preset, false);
      }
      this.ready = true;
    } catch (error) {
      this.loadError = errorText(error);
    }
    this.refresh();
  }

  /** The options of a field that picks something: the kind's, or the server's instance types and backends. */
  private _fieldChoices(path: string): IFieldChoices | null {
    const { trans } = this;
    const loaded = this._choices[path];
    if (loaded) {
      return { options: loaded, empty: trans.__('(choose)') };
    }
    const caps = this.ctx.capabilities;
    if (path === 'instance_type') {
      return {
        options: (caps.instance_types ?? []).map(it => ({
          value: it.name,
          label: `${it.name} — ${it.cpu} CPU, ${Math.round(it.memory_mib / 1024)} GiB${it.gpu ? `, ${it.gpu} GPU` : ''}`
        })),
        empty: trans.__('(default: %1)', caps.default_instance_type ?? '')
      };
    }
    if (path === 'backend') {
      return {
        options: Object.keys(caps.backends ?? {}).map(b => ({ value: b, label: b })),
        empty: trans.__('(default: %1)', caps.default_backend ?? '')
      };
    }
    return null;
  }

  private _refused(error: unknown): void {
    const { trans } = this;
    if (!(error instanceof ApiError)) {
      this.formError = errorText(error);
      this._focusFirstError();
      return;
    }
    const hidden = new Set(this.hints.hidden);
    const target = errorTarget(this.schema!, this.formData, error.field, generic => !hidden.has(generic), this._addon?.paths ?? []);
    const message = stripFieldPrefix(error.message, error.field);
    if (target && this._addon?.paths.includes(target)) {
      this.addonErrors = { [target]: message };
    } else if (target) {
      this.serverError = { path: target, message };
    }
    this.formError = target ? trans.__('The server refused the form: see the marked field.') : message;
    this._focusFirstError();
  }

  private _invalid(): void {
    this.formError = this.trans.__('Check the marked fields.');
    this.refresh();
    this._focusFirstError();
  }

  private _opened(created: IResource): void {
    this.definition.opened(this.ctx, created, this.options.parent ?? {});
  }

  private _focusFirstError(): void {
    requestAnimationFrame(() => {
      const node = this.node.querySelector('.jp-EasyMaker-fieldError, .jp-EasyMaker-formError');
      node?.scrollIntoView({ block: 'center' });
    });
  }

  private _context: IFormContext;
  private _version = 1;
  private _choices: { [path: string]: IChoice[] } = {};
  private _sections: IFormSection[] = [];
  private _addon: IFormAddon | null = null;
}

function valueAt(data: unknown, path: string): unknown {
  let node = data;
  for (const part of parsePath(path)) {
    node = (node as Record<string | number, unknown> | null | undefined)?.[part];
  }
  return node;
}

function CreateFormView(props: { panel: CreateFormPanel }): JSX.Element {
  const { panel } = props;
  const trans = useTrans();
  if (panel.loadError) {
    return (
      <div className="jp-EasyMaker-detailBody">
        <div className="jp-EasyMaker-error" role="alert">
          {trans.__('The form could not be built from the server schema: %1', panel.loadError)}
        </div>
      </div>
    );
  }
  if (!panel.ready || !panel.schema || !panel.uiSchema) {
    return <div className="jp-EasyMaker-detailBody">{trans.__('Loading…')}</div>;
  }
  return (
    <div className="jp-EasyMaker-detailBody">
      <h2 className="jp-EasyMaker-detailTitle">{panel.heading}</h2>
      {panel.formError ? (
        <div className="jp-EasyMaker-error jp-EasyMaker-formError" role="alert">
          {panel.formError}
        </div>
      ) : null}
      <FormComponent
        id={`${panel.idPrefix}-form`}
        className="jp-EasyMaker-rjsf"
        schema={panel.schema as never}
        uiSchema={panel.uiSchema as never}
        formData={panel.formData as never}
        formContext={panel.formContext}
        validator={VALIDATOR}
        widgets={WIDGETS}
        fields={FIELDS}
        idPrefix={panel.idPrefix}
        noHtml5Validate
        showErrorList={false}
        liveValidate={panel.tried}
        extraErrors={panel.extraErrors}
        experimental_defaultFormStateBehavior={DEFAULTS_BEHAVIOUR}
        showModifiedFromDefault={false}
        compact
        customValidate={(_data, errors) => panel.validateRows(errors as FormValidation) as never}
        transformErrors={errors => panel.transformErrors(errors)}
        onChange={e => panel.onFormChange(e.formData as Data)}
        onSubmit={e => void panel.submit(e.formData as Data)}
        onError={() => panel.onInvalid()}
      />
      {/* outside the rjsf form (whose props rjsf compares deeply), tied to it by `form` */}
      <div className="jp-EasyMaker-formButtons">
        <button type="button" className="jp-EasyMaker-button" data-action="cancel" onClick={() => panel.close()}>
          {trans.__('Cancel')}
        </button>
        <button
          type="submit"
          form={`${panel.idPrefix}-form`}
          className="jp-EasyMaker-button jp-mod-accept"
          data-action="submit"
          disabled={panel.submitting}
        >
          {panel.submitting ? (panel.editing ? trans.__('Saving…') : trans.__('Creating…')) : panel.submitLabel}
        </button>
      </div>
    </div>
  );
}
