/**
 * What the run form (and the schedule form, whose runs get the same
 * fields) adds to the generated fields: the pipeline (an ACTIVE one), the
 * experiment (an existing one, or "+ New experiment…" by name: created
 * with the run), and the run parameters the chosen pipeline declares, each
 * with its default and an input of its type (a number, a checkbox, JSON).
 */
import * as React from 'react';

import type { EasyMakerContext } from '../../shared/context';
import type { IFormAddon, IFormHost } from '../../shared/forms/formKinds';
import { errorText } from '../../shared/state/listModel';
import { ExperimentChoice, ExperimentPicker } from '../experiments/picker';
import { type IPipeline, type IPipelineInput, pipelinesApi } from './api';
import { castParameter, castParameters, controlOf, formParameters, initialTexts } from './parameters';

type Data = Record<string, unknown>;

/** The pipelines a run can be started from, by name. */
export async function loadPipelines(ctx: EasyMakerContext): Promise<IPipeline[]> {
  const page = await pipelinesApi(ctx).list({ limit: 1000, sort: 'name' });
  return page.items;
}

/** Pipeline, experiment and run parameters: the run form's own controls. */
export class RunFormAddon implements IFormAddon {
  constructor(
    readonly host: IFormHost,
    /** The guide's section they are drawn in. */
    readonly section = 'pipeline'
  ) {}

  pipelines: IPipeline[] = [];
  pipelineName = '';
  readonly experiment = new ExperimentChoice();
  /** The parameters' texts as typed, by name. */
  texts: { [name: string]: string } = {};
  /** Parameters edited since the pipeline was chosen (their problems show as the user types). */
  edited = new Set<string>();
  loadError: string | null = null;

  get paths(): string[] {
    return [
      'pipeline_name',
      'pipeline_id',
      'experiment_id',
      'experiment_name',
      ...this.inputs.map(i => `parameters.${i.name}`),
      'parameters'
    ];
  }

  get pipeline(): IPipeline | undefined {
    return this.pipelines.find(p => p.name === this.pipelineName);
  }

  /** The chosen pipeline's run parameters. */
  get inputs(): IPipelineInput[] {
    return formParameters(this.pipeline?.inputs ?? []);
  }

  async init(): Promise<void> {
    const { ctx } = this.host;
    const [pipelines] = await Promise.all([
      loadPipelines(ctx).catch(error => {
        this.loadError = errorText(error);
        return [] as IPipeline[];
      }),
      // without the list, a new experiment can still be named
      this.experiment.load(ctx).catch(() => undefined)
    ]);
    this.pipelines = pipelines;
    const first = pipelines.find(p => p.status === 'ACTIVE');
    if (first) {
      this.choosePipeline(first.name);
    }
  }

  /** Choose a pipeline (by name or id): its parameters start from their defaults (or `given`). */
  choosePipeline(ref: string, given: Data = {}): void {
    const found = this.pipelines.find(p => p.name === ref || p.id === ref);
    this.pipelineName = found?.name ?? ref;
    this.texts = initialTexts(found?.inputs ?? [], given);
    this.edited = new Set();
  }

  applyBody(body: Data): void {
    const parameters = (body.parameters && typeof body.parameters === 'object' ? body.parameters : {}) as Data;
    const pipeline = typeof body.pipeline_name === 'string' ? body.pipeline_name : typeof body.pipeline_id === 'string' ? body.pipeline_id : '';
    if (pipeline) {
      this.choosePipeline(pipeline, parameters);
    } else if (Object.keys(parameters).length) {
      this.texts = { ...this.texts, ...initialTexts(this.inputs, parameters) };
    }
    this.experiment.apply(body);
  }

  validate(): { [path: string]: string } {
    const { trans } = this.host;
    const errors: { [path: string]: string } = {};
    if (!this.pipelineName) {
      errors.pipeline_name = trans.__('Required');
    } else if (this.pipeline && this.pipeline.status !== 'ACTIVE') {
      errors.pipeline_name = trans.__('The pipeline is %1; only an ACTIVE pipeline can be run', this.pipeline.status);
    }
    Object.assign(errors, this.experiment.validate(trans));
    for (const [path, message] of Object.entries(castParameters(this.inputs, this.texts).errors)) {
      errors[path] = trans.__(message);
    }
    return errors;
  }

  body(): Data {
    return {
      pipeline_name: this.pipelineName,
      ...this.experiment.body(),
      parameters: castParameters(this.inputs, this.texts).values
    };
  }

  render(errors: { [path: string]: string }, clearError: (path: string) => void): React.ReactNode {
    return (
      <>
        <PipelinePicker addon={this} errors={errors} clearError={clearError} />
        <ExperimentPicker
          choice={this.experiment}
          trans={this.host.trans}
          idPrefix={this.host.idPrefix}
          help={this.host.trans.__('The run is listed under this experiment. Choose "+ New experiment…" to add one.')}
          errors={errors}
          onChange={() => {
            clearError('experiment_id');
            clearError('experiment_name');
            this.host.refresh();
          }}
        />
        <ParameterInputs addon={this} errors={errors} clearError={clearError} />
        {this.renderMore(errors, clearError)}
      </>
    );
  }

  /** Controls a subclass draws after the parameters (a schedule's trigger, before the schedule's own fields). */
  protected renderMore(_errors: { [path: string]: string }, _clearError: (path: string) => void): React.ReactNode {
    return null;
  }
}

interface IPartProps {
  addon: RunFormAddon;
  errors: { [path: string]: string };
  clearError(path: string): void;
}

/** A field's error under it (the server's, or the form's own check). */
export function FieldError(props: { path: string; message: string | undefined | null }): JSX.Element | null {
  return props.message ? (
    <div className="jp-EasyMaker-fieldError" role="alert" data-error-for={props.path}>
      {props.message}
    </div>
  ) : null;
}

function PipelinePicker(props: IPartProps): JSX.Element {
  const { addon: a, errors, clearError } = props;
  const { trans, idPrefix } = a.host;
  const error = errors.pipeline_name ?? errors.pipeline_id ?? a.loadError ?? undefined;
  const known = a.pipelines.some(p => p.name === a.pipelineName);
  return (
    <div className={'jp-EasyMaker-field' + (error ? ' jp-mod-error' : '')} data-field="pipeline_name">
      <label htmlFor={`${idPrefix}-pipeline`}>
        {trans.__('Pipeline')}
        <span className="jp-EasyMaker-required"> *</span>
      </label>
      <select
        id={`${idPrefix}-pipeline`}
        name="pipeline_name"
        className="jp-mod-styled"
        value={a.pipelineName}
        onChange={e => {
          a.choosePipeline(e.target.value);
          clearError('pipeline_name');
          clearError('parameters');
          a.host.refresh();
        }}
      >
        {a.pipelineName ? null : <option value="">{trans.__('(choose)')}</option>}
        {!known && a.pipelineName ? <option value={a.pipelineName}>{a.pipelineName}</option> : null}
        {a.pipelines.map(p => (
          <option key={p.id} value={p.name} disabled={p.status !== 'ACTIVE'}>
            {p.status === 'ACTIVE' ? p.name : `${p.name} (${p.status})`}
          </option>
        ))}
      </select>
      {a.pipeline?.description ? <div className="jp-EasyMaker-help">{a.pipeline.description}</div> : null}
      {!a.pipelines.length && !a.loadError ? (
        <div className="jp-EasyMaker-help">{trans.__('No pipeline yet: upload one in the Pipelines panel first.')}</div>
      ) : null}
      <FieldError path="pipeline_name" message={error} />
    </div>
  );
}

function ParameterInputs(props: IPartProps): JSX.Element | null {
  const { addon: a, errors, clearError } = props;
  const { trans, idPrefix } = a.host;
  const pipeline = a.pipeline;
  if (!pipeline) {
    return null;
  }
  const artifacts = pipeline.inputs.filter(i => i.kind !== 'parameter');
  return (
    <div className={'jp-EasyMaker-group jp-EasyMaker-runParameters' + (errors.parameters ? ' jp-mod-error' : '')} data-field="parameters">
      <div className="jp-EasyMaker-groupTitle">{trans.__('Run parameters')}</div>
      {a.inputs.length ? null : <div className="jp-EasyMaker-help">{trans.__('This pipeline takes no run parameters.')}</div>}
      {a.inputs.map(input => {
        const path = `parameters.${input.name}`;
        const text = a.texts[input.name] ?? '';
        const live = a.edited.has(input.name) && (text.trim() !== '' || input.type === 'BOOLEAN') ? castParameter(text, input.type) : null;
        const error = errors[path] ?? (live && 'error' in live ? trans.__(live.error) : undefined);
        const hasDefault = input.default !== null && input.default !== undefined;
        const required = !input.optional && !hasDefault;
        const id = `${idPrefix}-param-${input.name}`;
        const set = (value: string) => {
          a.texts = { ...a.texts, [input.name]: value };
          a.edited.add(input.name);
          clearError(path);
          clearError('parameters');
          a.host.refresh();
        };
        const control = controlOf(input.type);
        return (
          <div key={input.name} className={'jp-EasyMaker-field' + (error ? ' jp-mod-error' : '')} data-field={path} data-type={input.type}>
            <label htmlFor={id}>
              {input.name}
              {required ? <span className="jp-EasyMaker-required"> *</span> : null}
              <span className="jp-EasyMaker-paramType">{input.type}</span>
            </label>
            {control === 'checkbox' ? (
              <input id={id} name={path} type="checkbox" checked={text === 'true'} onChange={e => set(e.target.checked ? 'true' : 'false')} />
            ) : control === 'json' ? (
              <textarea id={id} name={path} className="jp-mod-styled" rows={2} value={text} spellCheck={false} onChange={e => set(e.target.value)} />
            ) : (
              <input
                id={id}
                name={path}
                type="text"
                className="jp-mod-styled"
                inputMode={control === 'number' ? (input.type === 'NUMBER_INTEGER' ? 'numeric' : 'decimal') : undefined}
                value={text}
                onChange={e => set(e.target.value)}
              />
            )}
            {input.description ? <div className="jp-EasyMaker-help">{input.description}</div> : null}
            {hasDefault && control !== 'checkbox' ? <div className="jp-EasyMaker-help">{trans.__('Default: %1', JSON.stringify(input.default))}</div> : null}
            <FieldError path={path} message={error} />
          </div>
        );
      })}
      {artifacts.length ? (
        <div className="jp-EasyMaker-help">
          {trans.__('Artifact inputs (%1) are not set from the form: the pipeline gets them from its tasks.', artifacts.map(i => i.name).join(', '))}
        </div>
      ) : null}
      <FieldError path="parameters" message={errors.parameters} />
    </div>
  );
}
