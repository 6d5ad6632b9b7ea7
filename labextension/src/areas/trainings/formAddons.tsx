/**
 * What the create forms of trainings, templates and tunings add to the
 * generated fields: the built-in algorithms as choices (picking one fills
 * in its hyperparameters' defaults), and for trainings and tunings the
 * guide's experiment picker (an existing one, or "+ New experiment…" by
 * name) and training-template picker (its fields fill the form).
 */
import * as React from 'react';

import type { IAlgorithm } from '../../shared/api/types';
import type { EasyMakerContext } from '../../shared/context';
import { NAME_PATTERN } from '../../shared/forms/errors';
import type { IChoice, IFormAddon, IFormHost, IFormKind } from '../../shared/forms/formKinds';
import { errorText } from '../../shared/state/listModel';
import { experimentsApi, type IExperiment } from '../experiments/api';
import { templatesApi, type ITemplate } from '../templates/api';

type Data = Record<string, unknown>;

/** The server's built-in algorithms, each with its description and hyperparameters. */
async function builtinAlgorithms(ctx: EasyMakerContext): Promise<IChoice[]> {
  const algorithms = await ctx.api.meta.algorithms();
  return algorithms.map(a => ({ value: a.name, label: a.title ? `${a.name} — ${a.title}` : a.name, description: a.description, data: a }));
}

/**
 * A built-in algorithm was picked and no hyperparameter is set yet: its
 * required ones and those with a default, with their defaults.
 */
function prefillHyperparameters(host: IFormHost, previous: Data, next: Data): Data | void {
  const name = (next.algorithm as Data | undefined)?.name;
  if (!name || name === (previous.algorithm as Data | undefined)?.name) {
    return;
  }
  const current = (next.hyperparameters ?? {}) as Data;
  const algorithm = host.choices('algorithm.name').find(c => c.value === name)?.data as IAlgorithm | undefined;
  if (!algorithm || Object.keys(current).some(k => k.trim())) {
    return;
  }
  const entries = (algorithm.hyperparameters ?? [])
    .filter(h => h.required || (h.default !== null && h.default !== undefined))
    .map(h => [h.name, h.default === null || h.default === undefined ? '' : String(h.default)]);
  return { ...next, hyperparameters: Object.fromEntries(entries) };
}

/** The algorithm picker of trainings, templates and tunings. */
export const ALGORITHM_FORM: Pick<IFormKind, 'choices' | 'changed'> = {
  choices: { 'algorithm.name': builtinAlgorithms },
  changed: prefillHyperparameters
};

/** The algorithm picker and the experiment and template pickers (trainings, tunings). */
export const TRAINING_FORM_ADDONS: Pick<IFormKind, 'choices' | 'changed' | 'addon'> = {
  ...ALGORITHM_FORM,
  addon: host => new ExperimentPickers(host)
};

/** Experiment (existing or new, the guide's "add") and training-template pickers. */
class ExperimentPickers implements IFormAddon {
  constructor(readonly host: IFormHost) {}

  readonly section = 'basic';
  readonly paths = ['experiment_id', 'experiment_name', 'template_id'];

  experiments: IExperiment[] = [];
  templates: ITemplate[] = [];
  mode: 'existing' | 'new' = 'existing';
  experimentId = '';
  experimentName = '';
  templateId = '';

  async init(): Promise<void> {
    const { ctx, options } = this.host;
    const [experiments, templates] = await Promise.all([
      experimentsApi(ctx).list({ limit: 1000, sort: '-created_at' }),
      templatesApi(ctx).list({ limit: 1000, sort: 'name' })
    ]);
    this.experiments = experiments.items;
    this.templates = templates.items;
    const wanted = ctx.settings.defaultExperiment;
    const match = wanted ? this.experiments.find(e => e.name === wanted || e.id === wanted) : this.experiments[0];
    if (match) {
      this.mode = 'existing';
      this.experimentId = match.id;
    } else {
      this.mode = 'new';
      this.experimentName = wanted;
    }
    if (options.templateId) {
      await this.useTemplate(options.templateId);
    }
    if (options.experimentId) {
      this.mode = 'existing';
      this.experimentId = options.experimentId;
    }
  }

  applyBody(body: Data): void {
    if (typeof body.experiment_id === 'string' && body.experiment_id) {
      this.mode = 'existing';
      this.experimentId = body.experiment_id;
    }
    if (typeof body.template_id === 'string' && body.template_id) {
      this.templateId = body.template_id;
    }
  }

  validate(): { [path: string]: string } {
    const { trans } = this.host;
    const name = this.experimentName.trim();
    if (this.mode === 'new' && !name) {
      return { experiment_name: trans.__('Required') };
    }
    if (this.mode === 'new' && !new RegExp(NAME_PATTERN).test(name)) {
      return { experiment_name: trans.__('Use 1-50 letters, digits, - or _') };
    }
    if (this.mode === 'existing' && !this.experimentId) {
      return { experiment_id: trans.__('Required') };
    }
    return {};
  }

  body(): Data {
    const out: Data = {};
    if (this.mode === 'existing' && this.experimentId) {
      out.experiment_id = this.experimentId;
    } else if (this.experimentName.trim()) {
      out.experiment_name = this.experimentName.trim();
    }
    if (this.templateId) {
      out.template_id = this.templateId;
    }
    return out;
  }

  /** Load a template's fields into the form (the guide's "use template"). */
  async useTemplate(ref: string): Promise<void> {
    this.templateId = ref;
    this.templateError = null;
    if (ref) {
      try {
        const template = await templatesApi(this.host.ctx).get(ref);
        this.templateId = template.id;
        this.host.applyBody(template.spec as Data, false);
      } catch (error) {
        this.templateError = errorText(error);
      }
    }
    this.host.refresh();
  }

  render(errors: { [path: string]: string }, clearError: (path: string) => void): React.ReactNode {
    return <Pickers pickers={this} errors={errors} clearError={clearError} />;
  }

  templateError: string | null = null;
}

function Pickers(props: { pickers: ExperimentPickers; errors: { [path: string]: string }; clearError(path: string): void }): JSX.Element {
  const { pickers: p, errors, clearError } = props;
  const { trans } = p.host;
  const experimentError = errors.experiment_id ?? errors.experiment_name;
  const templateError = errors.template_id ?? p.templateError;
  const changed = () => {
    clearError('experiment_id');
    clearError('experiment_name');
    p.host.refresh();
  };
  return (
    <>
      <div className={'jp-EasyMaker-field' + (experimentError ? ' jp-mod-error' : '')} data-field="experiment_id">
        <label htmlFor={`${p.host.idPrefix}-experiment`}>
          {trans.__('Experiment')}
          <span className="jp-EasyMaker-required"> *</span>
        </label>
        <div className="jp-EasyMaker-inlineControls">
          <select
            id={`${p.host.idPrefix}-experiment`}
            name="experiment"
            className="jp-mod-styled"
            value={p.mode === 'new' ? '__new__' : p.experimentId}
            onChange={e => {
              if (e.target.value === '__new__') {
                p.mode = 'new';
              } else {
                p.mode = 'existing';
                p.experimentId = e.target.value;
              }
              changed();
            }}
          >
            {p.experiments.map(e => (
              <option key={e.id} value={e.id}>
                {e.name}
              </option>
            ))}
            <option value="__new__">{trans.__('+ New experiment…')}</option>
          </select>
          {p.mode === 'new' ? (
            <input
              name="experiment_name"
              className="jp-mod-styled"
              placeholder={trans.__('New experiment name')}
              aria-label={trans.__('New experiment name')}
              value={p.experimentName}
              onChange={e => {
                p.experimentName = e.target.value;
                changed();
              }}
            />
          ) : null}
        </div>
        <div className="jp-EasyMaker-help">{trans.__('Experiments group related trainings. Choose "+ New experiment…" to add one.')}</div>
        {experimentError ? (
          <div className="jp-EasyMaker-fieldError" role="alert" data-error-for={errors.experiment_id ? 'experiment_id' : 'experiment_name'}>
            {experimentError}
          </div>
        ) : null}
      </div>
      <div className={'jp-EasyMaker-field' + (templateError ? ' jp-mod-error' : '')} data-field="template_id">
        <label htmlFor={`${p.host.idPrefix}-template`}>{trans.__('Training template')}</label>
        <select
          id={`${p.host.idPrefix}-template`}
          name="template_id"
          className="jp-mod-styled"
          value={p.templateId}
          onChange={e => {
            clearError('template_id');
            void p.useTemplate(e.target.value);
          }}
        >
          <option value="">{trans.__('Do not use')}</option>
          {p.templates.map(t => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </select>
        {templateError ? (
          <div className="jp-EasyMaker-fieldError" role="alert" data-error-for="template_id">
            {templateError}
          </div>
        ) : null}
      </div>
    </>
  );
}
