/**
 * Create forms (experiment, training, template) generated from the
 * server's OpenAPI schema. Client-side checks come from the schema; the
 * API's 4xx answers land under the field they name (`field`), or on top of
 * the form when no input matches.
 */
import { Notification } from '@jupyterlab/apputils';
import * as React from 'react';

import { ApiError } from '../api/client';
import type { IAlgorithm, IResource } from '../api/types';
import type { IExperiment } from '../../areas/experiments/api';
import type { ITemplate } from '../../areas/templates/api';
import { useTrans } from '../i18n/react';
import { SchemaForm, inputId } from './SchemaForm';
import type { EasyMakerContext } from '../context';
import { IFormHints, placeFields } from './hints';
import { FormParent, IChoice, IFormKind, formKind } from './formKinds';
import { errorText } from '../state/listModel';
import {
  IFieldSpec,
  IMapEntry,
  bodyFromValues,
  errorTarget,
  fieldsOf,
  genericPath,
  getAt,
  initialValues,
  setAt,
  shownPaths,
  stripFieldPrefix,
  validate,
  valuesFromBody
} from './schemaForm';
import { EasyMakerPanel } from '../panels/base';
import { experimentsApi } from '../../areas/experiments/api';
import { templatesApi } from '../../areas/templates/api';

export interface ICreateFormOptions {
  /** A kind registered with registerFormKind (`training`, `model`, ...). */
  kind: string;
  /** Pre-fill from this resource's `copy` body. */
  copyFrom?: string;
  /** Training / tuning: start from this template. */
  templateId?: string;
  /** Training / tuning: put it in this experiment. */
  experimentId?: string;
  /** Body fields to pre-fill (e.g. `{ model_id }` from a model's page). */
  preset?: Record<string, unknown>;
  /** What a nested resource belongs to (e.g. `{ endpoint }` for a stage). */
  parent?: FormParent;
}

/** Paths the pickers (not the generated fields) show errors for. */
const PICKER_PATHS = ['experiment_id', 'experiment_name', 'template_id'];

let counter = 0;

export class CreateFormPanel extends EasyMakerPanel {
  constructor(ctx: EasyMakerContext, readonly options: ICreateFormOptions) {
    super(ctx);
    this.addClass('jp-EasyMaker-createForm');
    this.id = `jp-EasyMaker-create-${options.kind}-${++counter}`;
    this.node.dataset.kind = options.kind;
    this.definition = formKind(options.kind);
    this.hints = this.definition.hints;
    this.title.label = this.heading;
    this.title.closable = true;
    void this._init();
  }

  readonly definition: IFormKind;
  readonly hints: IFormHints;
  fields: IFieldSpec[] = [];
  values: Record<string, unknown> = {};
  errors: Record<string, string> = {};
  formError: string | null = null;
  loadError: string | null = null;
  ready = false;
  submitting = false;
  // pickers of the training form
  experiments: IExperiment[] = [];
  templates: ITemplate[] = [];
  algorithms: IAlgorithm[] = [];
  /** Choices of fields the form kind lists (path -> options). */
  choices: { [path: string]: IChoice[] } = {};
  experimentMode: 'existing' | 'new' = 'existing';
  experimentId = '';
  experimentName = '';
  templateId = '';

  get heading(): string {
    return this.definition.heading(this.trans, !!this.options.copyFrom, this.options.parent ?? {});
  }

  get submitLabel(): string {
    return this.definition.submitLabel(this.trans);
  }

  private async _init(): Promise<void> {
    const { ctx, options } = this;
    try {
      const doc = await ctx.api.meta.openapi();
      const hidden = new Set(this.hints.hidden);
      this.fields = fieldsOf(doc, this.hints.schema).filter(f => !hidden.has(f.name));
      this.values = initialValues(this.fields);
      const pickers = !!this.definition.experimentPickers;
      const [experiments, templates, algorithms] = await Promise.all([
        pickers ? experimentsApi(ctx).list({ limit: 1000, sort: '-created_at' }) : null,
        pickers ? templatesApi(ctx).list({ limit: 1000, sort: 'name' }) : null,
        this.fields.some(f => f.name === 'algorithm') ? ctx.api.meta.algorithms().catch(() => [] as IAlgorithm[]) : []
      ]);
      this.experiments = experiments?.items ?? [];
      this.templates = templates?.items ?? [];
      this.algorithms = algorithms;
      const choiceLoaders = Object.entries(this.definition.choices ?? {});
      const loaded = await Promise.all(choiceLoaders.map(([, load]) => load(ctx).catch(() => null)));
      choiceLoaders.forEach(([path], i) => {
        if (loaded[i]) {
          this.choices[path] = loaded[i] as IChoice[];
        }
      });
      this._applyDefaults();
      if (options.copyFrom && this.definition.copy) {
        const body = await this.definition.copy(ctx, options.copyFrom);
        this._applyBody(body, true);
      }
      if (options.preset) {
        this._applyBody(options.preset, false);
      }
      if (options.templateId) {
        await this.useTemplate(options.templateId);
      }
      if (options.experimentId) {
        this.experimentMode = 'existing';
        this.experimentId = options.experimentId;
      }
      this.ready = true;
    } catch (error) {
      this.loadError = errorText(error);
    }
    this.update();
  }

  private _applyDefaults(): void {
    const settings = this.ctx.settings;
    if (settings.defaultBackend && this.fields.some(f => f.name === 'backend')) {
      this.values = setAt(this.values, 'backend', settings.defaultBackend);
    }
    if (!this.definition.experimentPickers) {
      return;
    }
    const wanted = settings.defaultExperiment;
    const match = wanted ? this.experiments.find(e => e.name === wanted || e.id === wanted) : this.experiments[0];
    if (match) {
      this.experimentMode = 'existing';
      this.experimentId = match.id;
    } else {
      this.experimentMode = 'new';
      this.experimentName = wanted;
    }
  }

  /** Fill the form from a create body (copy, template spec). */
  private _applyBody(body: Record<string, unknown>, withIdentity: boolean): void {
    const keep = withIdentity ? {} : { name: this.values.name, description: this.values.description };
    const fromBody = valuesFromBody(this.fields, body);
    for (const f of this.fields) {
      if (body[f.name] !== undefined) {
        this.values[f.name] = fromBody[f.name];
      }
    }
    Object.assign(this.values, keep);
    if (typeof body.experiment_id === 'string' && body.experiment_id) {
      this.experimentMode = 'existing';
      this.experimentId = body.experiment_id;
    }
    if (typeof body.template_id === 'string' && body.template_id) {
      this.templateId = body.template_id;
    }
  }

  /** Load a template's fields into the form (the guide's "use template"). */
  async useTemplate(ref: string): Promise<void> {
    this.templateId = ref;
    if (!ref) {
      this.update();
      return;
    }
    try {
      const template = await templatesApi(this.ctx).get(ref);
      this.templateId = template.id;
      this._applyBody(template.spec as Record<string, unknown>, false);
      this.errors = {};
    } catch (error) {
      this.errors = { ...this.errors, template_id: errorText(error) };
    }
    this.update();
  }

  setValue(path: string, value: unknown): void {
    this.values = setAt(this.values, path, value);
    // editing a field clears its message (and those below it)
    const errors: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.errors)) {
      if (k !== path && !k.startsWith(`${path}.`) && !k.startsWith(`${path}[`)) {
        errors[k] = v;
      }
    }
    this.errors = errors;
    if (path === 'algorithm.name') {
      this._prefillBuiltin(String(value));
    }
    this.update();
  }

  clearError(path: string): void {
    if (this.errors[path]) {
      const { [path]: _gone, ...rest } = this.errors;
      this.errors = rest;
      this.update();
    }
  }

  private _prefillBuiltin(name: string): void {
    const algorithm = this.algorithms.find(a => a.name === name);
    const current = (this.values.hyperparameters ?? []) as IMapEntry[];
    if (!algorithm || current.some(e => e.key.trim())) {
      return;
    }
    const entries = (algorithm.hyperparameters ?? [])
      .filter(h => h.required || (h.default !== null && h.default !== undefined))
      .map(h => ({ key: h.name, value: h.default === null || h.default === undefined ? '' : String(h.default) }));
    this.values = setAt(this.values, 'hyperparameters', entries);
  }

  body(): Record<string, unknown> {
    const body = bodyFromValues(this.fields, this.values);
    if (this.definition.experimentPickers) {
      if (this.experimentMode === 'existing' && this.experimentId) {
        body.experiment_id = this.experimentId;
      } else if (this.experimentName.trim()) {
        body.experiment_name = this.experimentName.trim();
      }
      if (this.templateId) {
        body.template_id = this.templateId;
      }
    }
    return body;
  }

  async submit(): Promise<void> {
    const { trans } = this;
    if (this.submitting) {
      return;
    }
    const errors = validate(this.fields, this.values, (m, ...a) => trans.__(m, ...a));
    if (this.definition.experimentPickers) {
      if (this.experimentMode === 'new' && !this.experimentName.trim()) {
        errors.experiment_name = trans.__('Required');
      } else if (this.experimentMode === 'new' && !/^[A-Za-z0-9_-]{1,50}$/.test(this.experimentName.trim())) {
        errors.experiment_name = trans.__('Use 1-50 letters, digits, - or _');
      } else if (this.experimentMode === 'existing' && !this.experimentId) {
        errors.experiment_id = trans.__('Required');
      }
    }
    this.errors = errors;
    this.formError = null;
    if (Object.keys(errors).length) {
      this.formError = trans.__('Check the marked fields.');
      this.update();
      this._focusFirstError();
      return;
    }
    this.submitting = true;
    this.update();
    try {
      const created = await this.definition.create(this.ctx, this.body(), this.options.parent ?? {});
      Notification.success(trans.__('%1 created', created.name), { autoClose: 3000 });
      this._opened(created);
      this.close();
    } catch (error) {
      if (error instanceof ApiError) {
        const target = errorTarget(error.field, [...shownPaths(this.fields, this.values), ...PICKER_PATHS]);
        const message = stripFieldPrefix(error.message, error.field);
        if (target) {
          this.errors = { [target]: message };
          this.formError = trans.__('The server refused the form: see the marked field.');
        } else {
          this.formError = message;
        }
      } else {
        this.formError = errorText(error);
      }
      this.update();
      this._focusFirstError();
    } finally {
      this.submitting = false;
      this.update();
    }
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

  protected renderPanel(): JSX.Element {
    return <CreateFormView panel={this} />;
  }
}

function CreateFormView(props: { panel: CreateFormPanel }): JSX.Element {
  const { panel } = props;
  const trans = useTrans();
  const { ctx, hints } = panel;
  if (panel.loadError) {
    return (
      <div className="jp-EasyMaker-detailBody">
        <div className="jp-EasyMaker-error" role="alert">
          {trans.__('The form could not be built from the server schema: %1', panel.loadError)}
        </div>
      </div>
    );
  }
  if (!panel.ready) {
    return <div className="jp-EasyMaker-detailBody">{trans.__('Loading…')}</div>;
  }
  const caps = ctx.capabilities;
  const instanceTypes = caps.instance_types ?? [];
  const backends = Object.keys(caps.backends ?? {});
  const sections = placeFields(hints, panel.fields.map(f => f.name)).map(s => ({
    id: s.id,
    title: trans.__(s.title),
    fields: s.fields,
    before:
      s.id === 'basic' && panel.definition.experimentPickers ? <TrainingPickers panel={panel} /> : undefined
  }));
  const selectedAlgorithm = panel.algorithms.find(a => a.name === getAt(panel.values, 'algorithm.name'));

  const override = (path: string, _field: IFieldSpec, value: unknown, change: (v: unknown) => void): React.ReactNode | undefined => {
    if (path === 'instance_type' && instanceTypes.length) {
      return (
        <select id={inputId(path)} name={path} className="jp-mod-styled" value={String(value ?? '')} onChange={e => change(e.target.value)}>
          <option value="">{trans.__('(default: %1)', caps.default_instance_type ?? '')}</option>
          {instanceTypes.map(it => (
            <option key={it.name} value={it.name}>
              {it.name} — {it.cpu} CPU, {Math.round(it.memory_mib / 1024)} GiB{it.gpu ? `, ${it.gpu} GPU` : ''}
            </option>
          ))}
        </select>
      );
    }
    if (path === 'backend' && backends.length) {
      return (
        <select id={inputId(path)} name={path} className="jp-mod-styled" value={String(value ?? '')} onChange={e => change(e.target.value)}>
          <option value="">{trans.__('(default: %1)', caps.default_backend ?? '')}</option>
          {backends.map(b => (
            <option key={b} value={b}>
              {b}
            </option>
          ))}
        </select>
      );
    }
    const choices = panel.choices[genericPath(path)];
    if (choices) {
      const known = choices.some(c => c.value === value);
      return (
        <select id={inputId(path)} name={path} className="jp-mod-styled" value={String(value ?? '')} onChange={e => change(e.target.value)}>
          <option value="">{trans.__('(choose)')}</option>
          {!known && value ? <option value={String(value)}>{String(value)}</option> : null}
          {choices.map(c => (
            <option key={c.value} value={c.value} disabled={c.disabled}>
              {c.label}
            </option>
          ))}
        </select>
      );
    }
    if (path === 'algorithm.name' && panel.algorithms.length) {
      return (
        <>
          <select id={inputId(path)} name={path} className="jp-mod-styled" value={String(value ?? '')} onChange={e => change(e.target.value)}>
            <option value="">{trans.__('(choose)')}</option>
            {panel.algorithms.map(a => (
              <option key={a.name} value={a.name}>
                {a.title ? `${a.name} — ${a.title}` : a.name}
              </option>
            ))}
          </select>
          {selectedAlgorithm?.description ? <div className="jp-EasyMaker-help">{selectedAlgorithm.description}</div> : null}
        </>
      );
    }
    return undefined;
  };

  return (
    <div className="jp-EasyMaker-detailBody">
      <h2 className="jp-EasyMaker-detailTitle">{panel.heading}</h2>
      {panel.formError ? (
        <div className="jp-EasyMaker-error jp-EasyMaker-formError" role="alert">
          {panel.formError}
        </div>
      ) : null}
      <form
        noValidate
        onSubmit={e => {
          e.preventDefault();
          void panel.submit();
        }}
      >
        <SchemaForm
          fields={panel.fields}
          sections={sections}
          values={panel.values}
          errors={panel.errors}
          onChange={(path, value) => panel.setValue(path, value)}
          labelOf={(path, field) => (hints.labels[path] ? trans.__(hints.labels[path]) : field.title)}
          helpOf={(path, field) => (hints.help?.[path] ? trans.__(hints.help[path]) : field.description)}
          variantLabel={tag => (hints.variants?.[tag] ? trans.__(hints.variants[tag]) : tag)}
          isHidden={path => hints.hidden.includes(path)}
          override={override}
        />
        <div className="jp-EasyMaker-formButtons">
          <button type="button" className="jp-EasyMaker-button" data-action="cancel" onClick={() => panel.close()}>
            {trans.__('Cancel')}
          </button>
          <button type="submit" className="jp-EasyMaker-button jp-mod-accept" data-action="submit" disabled={panel.submitting}>
            {panel.submitting ? trans.__('Creating…') : panel.submitLabel}
          </button>
        </div>
      </form>
    </div>
  );
}

/** Experiment (existing or new, the guide's "add") and template pickers. */
function TrainingPickers(props: { panel: CreateFormPanel }): JSX.Element {
  const { panel } = props;
  const trans = useTrans();
  const experimentError = panel.errors.experiment_id ?? panel.errors.experiment_name;
  return (
    <>
      <div className={'jp-EasyMaker-field' + (experimentError ? ' jp-mod-error' : '')} data-field="experiment_id">
        <label htmlFor="jp-EasyMaker-experiment">
          {trans.__('Experiment')}
          <span className="jp-EasyMaker-required"> *</span>
        </label>
        <div className="jp-EasyMaker-inlineControls">
          <select
            id="jp-EasyMaker-experiment"
            name="experiment"
            className="jp-mod-styled"
            value={panel.experimentMode === 'new' ? '__new__' : panel.experimentId}
            onChange={e => {
              if (e.target.value === '__new__') {
                panel.experimentMode = 'new';
              } else {
                panel.experimentMode = 'existing';
                panel.experimentId = e.target.value;
              }
              panel.clearError('experiment_id');
              panel.clearError('experiment_name');
              panel.update();
            }}
          >
            {panel.experiments.map(e => (
              <option key={e.id} value={e.id}>
                {e.name}
              </option>
            ))}
            <option value="__new__">{trans.__('+ New experiment…')}</option>
          </select>
          {panel.experimentMode === 'new' ? (
            <input
              name="experiment_name"
              className="jp-mod-styled"
              placeholder={trans.__('New experiment name')}
              aria-label={trans.__('New experiment name')}
              value={panel.experimentName}
              onChange={e => {
                panel.experimentName = e.target.value;
                panel.clearError('experiment_name');
                panel.update();
              }}
            />
          ) : null}
        </div>
        <div className="jp-EasyMaker-help">{trans.__('Experiments group related trainings. Choose "+ New experiment…" to add one.')}</div>
        {experimentError ? (
          <div className="jp-EasyMaker-fieldError" role="alert" data-error-for={panel.errors.experiment_id ? 'experiment_id' : 'experiment_name'}>
            {experimentError}
          </div>
        ) : null}
      </div>
      <div className={'jp-EasyMaker-field' + (panel.errors.template_id ? ' jp-mod-error' : '')} data-field="template_id">
        <label htmlFor="jp-EasyMaker-template">{trans.__('Training template')}</label>
        <select
          id="jp-EasyMaker-template"
          name="template_id"
          className="jp-mod-styled"
          value={panel.templateId}
          onChange={e => void panel.useTemplate(e.target.value)}
        >
          <option value="">{trans.__('Do not use')}</option>
          {panel.templates.map(t => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </select>
        {panel.errors.template_id ? (
          <div className="jp-EasyMaker-fieldError" role="alert" data-error-for="template_id">
            {panel.errors.template_id}
          </div>
        ) : null}
      </div>
    </>
  );
}
