/**
 * Layout of the create form of a pipeline schedule (the guide's sections):
 * the run form's fields (its runs get them) plus the trigger, the most runs
 * at once, the start and end time and catch-up. The pipeline, experiment,
 * run parameters and the trigger are the form's own controls (trigger.tsx).
 */
import type { IFormHints } from '../../shared/forms/hints';
import { N_ } from '../../shared/i18n';
import { RUN_ADDON_FIELDS, RUN_RESOURCE_HELP, RUN_RESOURCE_LABELS, RUN_RESOURCE_SECTIONS } from '../pipelines/form';

export const PIPELINE_SCHEDULE_FORM: IFormHints = {
  schema: 'PipelineScheduleCreate',
  sections: [
    { id: 'basic', title: N_('Basic information'), fields: ['name', 'description'] },
    { id: 'schedule', title: N_('Schedule'), fields: ['max_concurrency', 'start_at', 'end_at', 'catch_up'] },
    ...RUN_RESOURCE_SECTIONS
  ],
  labels: {
    name: N_('Pipeline schedule name'),
    description: N_('Pipeline schedule description'),
    max_concurrency: N_('Maximum concurrent runs'),
    start_at: N_('Start time'),
    end_at: N_('End time'),
    catch_up: N_('Catch up missed runs'),
    ...RUN_RESOURCE_LABELS
  },
  help: {
    name: N_("At most 35 characters: its runs are named <name>-<yyyymmddhhmmss> of the scheduled time (UTC)."),
    max_concurrency: N_('Runs of this schedule at the same time (1-10); a due run waits while that many are in progress.'),
    start_at: N_('ISO time, e.g. 2026-01-31T09:00:00Z; periods count from here (from the creation when empty).'),
    end_at: N_('ISO time; no run is started for a later period (the schedule becomes ENABLED(EXPIRED)).'),
    catch_up: N_('On: every period missed (the schedule disabled, the server down) gets its run; off: only the latest one.'),
    ...RUN_RESOURCE_HELP
  },
  hidden: [...RUN_ADDON_FIELDS, 'trigger']
};
