/** The Pipeline schedules area: columns and actions of the schedules table. */
import * as React from 'react';

import type { IToolbarAction } from '../../shared/components/ListToolbar';
import { StatusBadge } from '../../shared/components/StatusBadge';
import type { EasyMakerContext } from '../../shared/context';
import { runOnEach } from '../../shared/panels/base';
import { NameCell, TimeCell } from '../../shared/panels/cells';
import { standardActions } from '../../shared/panels/listActions';
import { IResourceListConfig, ResourceListPanel, createListPanel } from '../../shared/panels/resourceList';
import { statusesOf } from '../../shared/status';
import { type IPipelineSchedule, pipelineSchedulesApi } from './api';
import { ScheduleCommandIDs } from './commands';

/** Statuses from which a schedule can be started or stopped (the server's rules). */
export const ENABLEABLE = ['DISABLED'];
export const DISABLEABLE = ['ENABLED', 'ENABLED(EXPIRED)'];

/** Enable and disable on the selected schedules. */
export function enableActions(ctx: EasyMakerContext, selected: IPipelineSchedule[]): IToolbarAction[] {
  const { trans } = ctx;
  const api = pipelineSchedulesApi(ctx);
  const enableable = selected.filter(s => ENABLEABLE.includes(s.status));
  const disableable = selected.filter(s => DISABLEABLE.includes(s.status));
  return [
    {
      id: 'enable',
      label: trans.__('Enable'),
      disabled: !enableable.length,
      title: trans.__('Start the selected disabled schedules'),
      onClick: () => void runOnEach(enableable, s => api.enable(s.id), trans, trans.__('Enable failed'))
    },
    {
      id: 'disable',
      label: trans.__('Disable'),
      disabled: !disableable.length,
      title: trans.__('Stop the selected schedules (their runs in progress go on)'),
      onClick: () => void runOnEach(disableable, s => api.disable(s.id), trans, trans.__('Disable failed'))
    }
  ];
}

export function schedulesConfig(ctx: EasyMakerContext): IResourceListConfig<IPipelineSchedule> {
  const { trans } = ctx;
  const commands = ctx.app.commands;
  const open = (row: IPipelineSchedule) => void commands.execute(ScheduleCommandIDs.openSchedule, { id: row.id });
  return {
    area: 'pipeline-schedules',
    statuses: statusesOf('pipeline schedule'),
    empty: trans.__('No pipeline schedules yet. Create one with "Create schedule".'),
    open,
    actions: selected => {
      const actions = standardActions(ctx, selected, {
        kind: 'pipeline schedule',
        createLabel: trans.__('Create schedule'),
        create: () => void commands.execute(ScheduleCommandIDs.createSchedule, {}),
        copy: { run: s => void commands.execute(ScheduleCommandIDs.createSchedule, { copyFrom: s.id }) },
        remove: {
          run: s => pipelineSchedulesApi(ctx).remove(s.id),
          blocked: trans.__('A schedule being created cannot be deleted yet'),
          noun: trans.__('pipeline schedules')
        }
      });
      actions.splice(1, 0, ...enableActions(ctx, selected));
      return actions;
    },
    columns: () => [
      { id: 'name', label: trans.__('Name'), width: 'minmax(150px, 2fr)', sortKey: 'name', render: s => <NameCell name={s.name} description={s.description} onOpen={() => open(s)} /> },
      { id: 'status', label: trans.__('Status'), width: '150px', sortKey: 'status', render: s => <StatusBadge status={s.status} title={s.last_error || s.status_reason} /> },
      { id: 'pipeline', label: trans.__('Pipeline'), width: 'minmax(110px, 1fr)', render: s => s.pipeline_name },
      { id: 'trigger', label: trans.__('Trigger'), width: 'minmax(130px, 1fr)', render: s => <code className="jp-EasyMaker-triggerText">{s.trigger_text}</code> },
      { id: 'next', label: trans.__('Next run'), width: '165px', render: s => <TimeCell value={s.next_run_at} /> },
      { id: 'runs', label: trans.__('Runs'), width: '90px', render: s => (s.active_runs ? `${s.run_count} (${s.active_runs}▶)` : String(s.run_count)) },
      { id: 'concurrency', label: trans.__('Max concurrency'), width: '110px', render: s => String(s.max_concurrency) },
      { id: 'catchup', label: trans.__('Catch-up'), width: '80px', render: s => (s.catch_up ? trans.__('on') : trans.__('off')) },
      { id: 'created', label: trans.__('Created'), width: '165px', sortKey: 'created_at', render: s => <TimeCell value={s.created_at} /> }
    ]
  };
}

export function createSchedulesPanel(ctx: EasyMakerContext): ResourceListPanel<IPipelineSchedule> {
  return createListPanel(ctx, pipelineSchedulesApi(ctx), schedulesConfig(ctx), {
    id: 'jp-EasyMaker-pipeline-schedules',
    title: ctx.trans.__('Pipeline schedules')
  });
}
