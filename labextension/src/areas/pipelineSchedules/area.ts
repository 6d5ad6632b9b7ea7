/** The Pipeline schedules area: the schedules table, the create form, the schedule's tab and their commands. */
import { registerFormKind } from '../../shared/forms/formKinds';
import { N_ } from '../../shared/i18n';
import { IArea, registerResourceCommands, strArg } from '../../shared/plugin/areaModule';
import { pipelineSchedulesApi } from './api';
import { KO } from './catalog.ko';
import { ScheduleCommandIDs } from './commands';
import { ScheduleDetailPanel } from './detail';
import { PIPELINE_SCHEDULE_FORM } from './form';
import { createSchedulesPanel } from './list';
import { ScheduleFormAddon } from './triggerAddon';

export const pipelineSchedulesArea: IArea = {
  id: 'pipeline-schedules',
  label: N_('Pipeline schedules'),
  aliases: ['pipeline_schedules'],
  catalogs: { ko: KO },
  register(deps) {
    const { ctx, areas } = deps;
    const { trans } = ctx;
    areas.register({ area: 'pipeline-schedules', create: () => createSchedulesPanel(ctx) });
    registerFormKind('pipeline-schedule', {
      hints: PIPELINE_SCHEDULE_FORM,
      create: (c, body) => pipelineSchedulesApi(c).create(body),
      copy: (c, ref) => pipelineSchedulesApi(c).copy(ref),
      heading: (t, copy) => (copy ? t.__('Copy pipeline schedule') : t.__('Create pipeline schedule')),
      submitLabel: t => t.__('Create schedule'),
      addon: host => new ScheduleFormAddon(host),
      opened: (c, created) => void c.app.commands.execute(ScheduleCommandIDs.openSchedule, { id: created.id })
    });
    registerResourceCommands(deps, {
      area: 'pipeline-schedules',
      list: { id: ScheduleCommandIDs.openSchedules, label: trans.__('Open pipeline schedules') },
      create: {
        id: ScheduleCommandIDs.createSchedule,
        label: trans.__('Create pipeline schedule'),
        form: args => {
          const pipeline = strArg(args, 'pipeline');
          return { kind: 'pipeline-schedule', copyFrom: strArg(args, 'copyFrom'), preset: pipeline ? { pipeline_name: pipeline } : undefined };
        }
      },
      detail: {
        id: ScheduleCommandIDs.openSchedule,
        label: trans.__('Open pipeline schedule'),
        panel: (id, tab) => new ScheduleDetailPanel(ctx, id, tab)
      }
    });
  }
};
