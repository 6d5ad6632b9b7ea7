/**
 * A schedule's trigger in the form: an interval (a whole number of minutes,
 * hours, days or weeks) or a cron expression of 6 fields, seconds first, in
 * UTC (robfig/cron, as Kubeflow Pipelines reads it; the server checks it
 * with croniter). A 5-field expression, the common crontab form, gets the
 * hint to add the seconds field. Pure, so it is unit-tested; messages are
 * msgids with their arguments.
 */
import { N_ } from '../../shared/i18n';
import type { IntervalUnit, ITrigger } from './api';

export const UNITS: IntervalUnit[] = ['minutes', 'hours', 'days', 'weeks'];
export const CRON_FIELDS = ['seconds', 'minutes', 'hours', 'day-of-month', 'month', 'day-of-week'];
/** robfig/cron's predefined schedules (croniter reads them too). */
export const CRON_DESCRIPTORS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
export const CRON_EXAMPLE = '0 */5 * * * *';

export interface IMessage {
  msgid: string;
  args: (string | number)[];
}

/** What is wrong with a cron expression before the server is asked, or null. */
export function cronProblem(expression: string): IMessage | null {
  const text = expression.trim().split(/\s+/).filter(Boolean).join(' ');
  if (!text) {
    return { msgid: N_('Required'), args: [] };
  }
  if (text.startsWith('@')) {
    return CRON_DESCRIPTORS.includes(text.toLowerCase()) ? null : { msgid: N_('%1 is not one of %2'), args: [text, CRON_DESCRIPTORS.join(', ')] };
  }
  const count = text.split(' ').length;
  if (count === 5) {
    return {
      msgid: N_("5 fields: a schedule's cron expression has 6, seconds first (%1). Add the seconds field first, e.g. '%2'"),
      args: [CRON_FIELDS.join(' '), CRON_EXAMPLE]
    };
  }
  if (count !== 6) {
    return { msgid: N_('%1 fields: a cron expression has 6 separated by spaces (%2)'), args: [count, CRON_FIELDS.join(' ')] };
  }
  return null;
}

/** The expression's values under their field names (what the user typed, field by field). */
export function cronFields(expression: string): { field: string; value: string }[] {
  const values = expression.trim().split(/\s+/).filter(Boolean);
  return values.length === 6 ? values.map((value, i) => ({ field: CRON_FIELDS[i], value })) : [];
}

/** The interval's count as a whole number from 1, or the problem. */
export function intervalProblem(every: string): IMessage | null {
  const t = every.trim();
  if (!t) {
    return { msgid: N_('Required'), args: [] };
  }
  const n = Number(t);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) {
    return { msgid: N_('A whole number from 1 to %1'), args: [1_000_000] };
  }
  return null;
}

/** The form's state of a trigger. */
export interface ITriggerState {
  type: 'interval' | 'cron';
  every: string;
  unit: IntervalUnit;
  expression: string;
}

export const DEFAULT_TRIGGER: ITriggerState = { type: 'interval', every: '1', unit: 'hours', expression: '0 0 * * * *' };

/** The trigger of the create body. */
export function triggerBody(state: ITriggerState): ITrigger {
  return state.type === 'cron'
    ? { type: 'cron', expression: state.expression.trim().split(/\s+/).join(' ') }
    : { type: 'interval', every: Number(state.every.trim()), unit: state.unit };
}

/** The form's state from a trigger (a copied schedule's). */
export function triggerState(trigger: unknown, base: ITriggerState = DEFAULT_TRIGGER): ITriggerState {
  const t = (trigger ?? {}) as { type?: string; every?: unknown; unit?: unknown; expression?: unknown };
  if (t.type === 'cron' && typeof t.expression === 'string') {
    return { ...base, type: 'cron', expression: t.expression };
  }
  if (t.type === 'interval') {
    const unit = UNITS.includes(t.unit as IntervalUnit) ? (t.unit as IntervalUnit) : base.unit;
    return { ...base, type: 'interval', every: String(t.every ?? base.every), unit };
  }
  return base;
}

/** The trigger's problems by field path (`trigger.expression`, `trigger.every`). */
export function triggerProblems(state: ITriggerState): { [path: string]: IMessage } {
  const problem = state.type === 'cron' ? cronProblem(state.expression) : intervalProblem(state.every);
  return problem ? { [state.type === 'cron' ? 'trigger.expression' : 'trigger.every']: problem } : {};
}
