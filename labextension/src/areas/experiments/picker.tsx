/**
 * The guide's experiment picker, for the forms of what belongs to an
 * experiment (trainings, tunings, pipeline runs and schedules): an existing
 * experiment, or "+ New experiment…" by name, created with the resource.
 */
import * as React from 'react';

import type { EasyMakerContext } from '../../shared/context';
import { NAME_PATTERN } from '../../shared/forms/errors';
import type { ITrans } from '../../shared/i18n';
import { experimentsApi, type IExperiment } from './api';

type Data = Record<string, unknown>;

/** The chosen experiment: the form's state, its checks and its part of the body. */
export class ExperimentChoice {
  experiments: IExperiment[] = [];
  mode: 'existing' | 'new' = 'existing';
  experimentId = '';
  experimentName = '';

  /** The experiments, newest first; chosen: the configured default (by name or id), else the newest. */
  async load(ctx: EasyMakerContext): Promise<void> {
    this.experiments = (await experimentsApi(ctx).list({ limit: 1000, sort: '-created_at' })).items;
    const wanted = ctx.settings.defaultExperiment;
    const match = wanted ? this.experiments.find(e => e.name === wanted || e.id === wanted) : this.experiments[0];
    if (match) {
      this.chooseExisting(match.id);
    } else {
      this.mode = 'new';
      this.experimentName = wanted;
    }
  }

  chooseExisting(id: string): void {
    this.mode = 'existing';
    this.experimentId = id;
  }

  /** The experiment of a body put into the form (a copy, a template): by id, or by name (new if unknown). */
  apply(body: Data): void {
    if (typeof body.experiment_id === 'string' && body.experiment_id) {
      this.chooseExisting(body.experiment_id);
    } else if (typeof body.experiment_name === 'string' && body.experiment_name) {
      const existing = this.experiments.find(e => e.name === body.experiment_name);
      if (existing) {
        this.chooseExisting(existing.id);
      } else {
        this.mode = 'new';
        this.experimentName = body.experiment_name;
      }
    }
  }

  validate(trans: ITrans): { [path: string]: string } {
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
    if (this.mode === 'existing' && this.experimentId) {
      return { experiment_id: this.experimentId };
    }
    return this.experimentName.trim() ? { experiment_name: this.experimentName.trim() } : {};
  }
}

/** The picker: a select of the experiments and "+ New experiment…", with a name input for a new one. */
export function ExperimentPicker(props: {
  choice: ExperimentChoice;
  trans: ITrans;
  idPrefix: string;
  /** What the experiment is for, under the control. */
  help: string;
  errors: { [path: string]: string };
  /** The choice changed: clear its errors and draw the form again. */
  onChange(): void;
}): JSX.Element {
  const { choice: c, trans, idPrefix, errors } = props;
  const error = errors.experiment_id ?? errors.experiment_name;
  return (
    <div className={'jp-EasyMaker-field' + (error ? ' jp-mod-error' : '')} data-field="experiment_id">
      <label htmlFor={`${idPrefix}-experiment`}>
        {trans.__('Experiment')}
        <span className="jp-EasyMaker-required"> *</span>
      </label>
      <div className="jp-EasyMaker-inlineControls">
        <select
          id={`${idPrefix}-experiment`}
          name="experiment"
          className="jp-mod-styled"
          value={c.mode === 'new' ? '__new__' : c.experimentId}
          onChange={e => {
            if (e.target.value === '__new__') {
              c.mode = 'new';
            } else {
              c.chooseExisting(e.target.value);
            }
            props.onChange();
          }}
        >
          {c.experiments.map(e => (
            <option key={e.id} value={e.id}>
              {e.name}
            </option>
          ))}
          <option value="__new__">{trans.__('+ New experiment…')}</option>
        </select>
        {c.mode === 'new' ? (
          <input
            type="text"
            name="experiment_name"
            className="jp-mod-styled"
            placeholder={trans.__('New experiment name')}
            aria-label={trans.__('New experiment name')}
            value={c.experimentName}
            onChange={e => {
              c.experimentName = e.target.value;
              props.onChange();
            }}
          />
        ) : null}
      </div>
      <div className="jp-EasyMaker-help">{props.help}</div>
      {error ? (
        <div className="jp-EasyMaker-fieldError" role="alert" data-error-for={errors.experiment_id ? 'experiment_id' : 'experiment_name'}>
          {error}
        </div>
      ) : null}
    </div>
  );
}
