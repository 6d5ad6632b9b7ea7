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
import type { IChoice, IFormAddon, IFormHost, IFormKind } from '../../shared/forms/formKinds';
import { errorText } from '../../shared/state/listModel';
import { ExperimentChoice, ExperimentPicker } from '../experiments/picker';
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

  readonly experiment = new ExperimentChoice();
  templates: ITemplate[] = [];
  templateId = '';

  async init(): Promise<void> {
    const { ctx, options } = this.host;
    const [, templates] = await Promise.all([this.experiment.load(ctx), templatesApi(ctx).list({ limit: 1000, sort: 'name' })]);
    this.templates = templates.items;
    if (options.templateId) {
      await this.useTemplate(options.templateId);
    }
    if (options.experimentId) {
      this.experiment.chooseExisting(options.experimentId);
    }
  }

  applyBody(body: Data): void {
    this.experiment.apply(body);
    if (typeof body.template_id === 'string' && body.template_id) {
      this.templateId = body.template_id;
    }
  }

  validate(): { [path: string]: string } {
    return this.experiment.validate(this.host.trans);
  }

  body(): Data {
    const out: Data = this.experiment.body();
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
  const templateError = errors.template_id ?? p.templateError;
  const changed = () => {
    clearError('experiment_id');
    clearError('experiment_name');
    p.host.refresh();
  };
  return (
    <>
      <ExperimentPicker
        choice={p.experiment}
        trans={trans}
        idPrefix={p.host.idPrefix}
        help={trans.__('Experiments group related trainings. Choose "+ New experiment…" to add one.')}
        errors={errors}
        onChange={changed}
      />
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
