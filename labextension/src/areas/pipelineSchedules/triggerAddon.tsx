/**
 * The schedule form's own controls: the run form's (pipeline, experiment,
 * run parameters) and the trigger: an interval (a number and a unit) or a
 * cron expression of 6 fields, seconds first, with the hint as it is typed
 * and the values shown under their field names.
 */
import * as React from 'react';

import type { IFormHost } from '../../shared/forms/formKinds';
import { FieldError, RunFormAddon } from '../pipelines/formAddons';
import type { IntervalUnit } from './api';
import {
  CRON_EXAMPLE,
  CRON_FIELDS,
  DEFAULT_TRIGGER,
  type IMessage,
  type ITriggerState,
  UNITS,
  cronFields,
  triggerBody,
  triggerProblems,
  triggerState
} from './trigger';

type Data = Record<string, unknown>;

export class ScheduleFormAddon extends RunFormAddon {
  constructor(host: IFormHost) {
    super(host, 'schedule');
  }

  trigger: ITriggerState = { ...DEFAULT_TRIGGER };
  /** The trigger was edited: its problems show as the user types. */
  triggerEdited = false;

  get paths(): string[] {
    return [...super.paths, 'trigger.expression', 'trigger.every', 'trigger.unit', 'trigger.type', 'trigger'];
  }

  applyBody(body: Data): void {
    super.applyBody(body);
    if (body.trigger) {
      this.trigger = triggerState(body.trigger, this.trigger);
    }
  }

  validate(): { [path: string]: string } {
    const errors = super.validate();
    for (const [path, message] of Object.entries(triggerProblems(this.trigger))) {
      errors[path] = this.text(message);
    }
    return errors;
  }

  body(): Data {
    return { ...super.body(), trigger: triggerBody(this.trigger) };
  }

  text(message: IMessage): string {
    return this.host.trans.__(message.msgid, ...message.args);
  }

  setTrigger(next: Partial<ITriggerState>, clearError: (path: string) => void): void {
    this.trigger = { ...this.trigger, ...next };
    this.triggerEdited = true;
    for (const path of ['trigger', 'trigger.type', 'trigger.expression', 'trigger.every', 'trigger.unit']) {
      clearError(path);
    }
    this.host.refresh();
  }

  protected renderMore(errors: { [path: string]: string }, clearError: (path: string) => void): React.ReactNode {
    return <TriggerControls addon={this} errors={errors} clearError={clearError} />;
  }
}

function TriggerControls(props: { addon: ScheduleFormAddon; errors: { [path: string]: string }; clearError(path: string): void }): JSX.Element {
  const { addon: a, errors, clearError } = props;
  const { trans, idPrefix } = a.host;
  const t = a.trigger;
  const live = a.triggerEdited ? triggerProblems(t) : {};
  const liveText = (path: string) => (live[path] ? a.text(live[path]) : undefined);
  const expressionError = errors['trigger.expression'] ?? liveText('trigger.expression');
  const everyError = errors['trigger.every'] ?? errors['trigger.unit'] ?? liveText('trigger.every');
  const generalError = errors.trigger ?? errors['trigger.type'];
  const fields = t.type === 'cron' ? cronFields(t.expression) : [];
  const unitLabel = (u: IntervalUnit) =>
    u === 'minutes' ? trans.__('minutes') : u === 'hours' ? trans.__('hours') : u === 'days' ? trans.__('days') : trans.__('weeks');
  return (
    <div className={'jp-EasyMaker-group jp-EasyMaker-trigger' + (generalError ? ' jp-mod-error' : '')} data-field="trigger">
      <div className="jp-EasyMaker-groupTitle">
        {trans.__('Trigger')}
        <span className="jp-EasyMaker-required"> *</span>
      </div>
      <div className="jp-EasyMaker-radios" role="radiogroup" data-field="trigger.type">
        {(['interval', 'cron'] as const).map(type => (
          <label key={type} className="jp-EasyMaker-radio">
            <input type="radio" name="trigger.type" value={type} checked={t.type === type} onChange={() => a.setTrigger({ type }, clearError)} />{' '}
            {type === 'interval' ? trans.__('Interval') : trans.__('Cron expression')}
          </label>
        ))}
      </div>
      {t.type === 'interval' ? (
        <div className={'jp-EasyMaker-field' + (everyError ? ' jp-mod-error' : '')} data-field="trigger.every">
          <label htmlFor={`${idPrefix}-every`}>{trans.__('Every')}</label>
          <div className="jp-EasyMaker-inlineControls">
            <input
              id={`${idPrefix}-every`}
              type="text"
              inputMode="numeric"
              name="trigger.every"
              className="jp-mod-styled jp-EasyMaker-shortInput"
              value={t.every}
              onChange={e => a.setTrigger({ every: e.target.value }, clearError)}
            />
            <select
              name="trigger.unit"
              aria-label={trans.__('Unit')}
              className="jp-mod-styled"
              value={t.unit}
              onChange={e => a.setTrigger({ unit: e.target.value as IntervalUnit }, clearError)}
            >
              {UNITS.map(u => (
                <option key={u} value={u}>
                  {unitLabel(u)}
                </option>
              ))}
            </select>
          </div>
          <div className="jp-EasyMaker-help">{trans.__('A run every this long, counted from the start time.')}</div>
          <FieldError path="trigger.every" message={everyError} />
        </div>
      ) : (
        <div className={'jp-EasyMaker-field' + (expressionError ? ' jp-mod-error' : '')} data-field="trigger.expression">
          <label htmlFor={`${idPrefix}-cron`}>{trans.__('Cron expression')}</label>
          <input
            id={`${idPrefix}-cron`}
            type="text"
            name="trigger.expression"
            className="jp-mod-styled jp-EasyMaker-cronInput"
            spellCheck={false}
            value={t.expression}
            placeholder={CRON_EXAMPLE}
            onChange={e => a.setTrigger({ expression: e.target.value }, clearError)}
          />
          <div className="jp-EasyMaker-help" data-role="cron-hint">
            {trans.__('6 fields, seconds first, in UTC: %1. Example: %2 (every 5 minutes).', CRON_FIELDS.join(' '), CRON_EXAMPLE)}
          </div>
          {fields.length ? (
            <div className="jp-EasyMaker-cronFields" data-role="cron-fields">
              {fields.map(f => (
                <span key={f.field} className="jp-EasyMaker-cronField">
                  <code>{f.value}</code>
                  <span className="jp-EasyMaker-help">{f.field}</span>
                </span>
              ))}
            </div>
          ) : null}
          <FieldError path="trigger.expression" message={expressionError} />
        </div>
      )}
      <FieldError path="trigger" message={generalError} />
    </div>
  );
}
