/** The Experiments area. */
import { Notification } from '@jupyterlab/apputils';
import * as React from 'react';

import type { IExperiment } from '../api/types';
import { CommandIDs } from '../commands';
import { confirmDelete } from '../components/dialogs';
import { StatusBadge } from '../components/StatusBadge';
import type { IToolbarAction } from '../components/ListToolbar';
import type { EasyMakerContext } from '../context';
import { ResourceListModel } from '../state/listModel';
import { statusesOf } from '../status';
import { runOnEach } from './base';
import { NameCell, TimeCell } from './cells';
import { IResourceListConfig, ResourceListPanel } from './resourceList';

export function experimentActions(ctx: EasyMakerContext, selected: IExperiment[]): IToolbarAction[] {
  const { trans } = ctx;
  const commands = ctx.app.commands;
  const failed = selected.filter(e => e.status === 'CREATE FAILED');
  const actions: IToolbarAction[] = [
    {
      id: 'create',
      label: trans.__('Create experiment'),
      primary: true,
      onClick: () => void commands.execute(CommandIDs.createExperiment, {})
    },
    {
      id: 'copy',
      label: trans.__('Copy'),
      disabled: selected.length === 0 || selected.length > 10,
      onClick: () => {
        for (const e of selected) {
          void commands.execute(CommandIDs.createExperiment, { copyFrom: e.id });
        }
      }
    },
    {
      id: 'retry',
      label: trans.__('Retry'),
      disabled: failed.length === 0,
      title: trans.__('Retry the creation of failed experiments'),
      onClick: () => void runOnEach(failed, e => ctx.api.experiments.retry(e.id), trans, trans.__('Retry failed'))
    },
    {
      id: 'delete',
      label: trans.__('Delete'),
      danger: true,
      disabled: selected.length === 0,
      onClick: async () => {
        if (!(await confirmDelete(trans.__('experiments'), selected.map(e => e.name), trans))) {
          return;
        }
        const n = await runOnEach(selected, e => ctx.api.experiments.remove(e.id), trans, trans.__('Delete failed'));
        if (n) {
          Notification.success(trans.__('%1 deleted', n), { autoClose: 3000 });
        }
      }
    }
  ];
  if (ctx.capabilities.tensorboard !== false) {
    actions.push({
      id: 'tensorboard',
      label: trans.__('Open TensorBoard'),
      disabled: selected.length !== 1,
      onClick: () => void commands.execute(CommandIDs.openTensorBoard, { experimentId: selected[0].id })
    });
  }
  return actions;
}

export function createExperimentsPanel(ctx: EasyMakerContext): ResourceListPanel<IExperiment> {
  const { trans } = ctx;
  const model = new ResourceListModel<IExperiment>({
    fetch: params => ctx.api.experiments.list(params),
    kind: ctx.api.experiments.kind
  });
  const open = (row: IExperiment) => void ctx.app.commands.execute(CommandIDs.openExperiment, { id: row.id });
  const config: IResourceListConfig<IExperiment> = {
    area: 'experiments',
    statuses: statusesOf('experiment'),
    empty: trans.__('No experiments yet. Create one with "Create experiment".'),
    open,
    actions: selected => experimentActions(ctx, selected),
    columns: () => [
      { id: 'name', label: trans.__('Name'), width: 'minmax(160px, 2fr)', sortKey: 'name', render: e => <NameCell name={e.name} description={e.description} onOpen={() => open(e)} /> },
      { id: 'status', label: trans.__('Status'), width: '170px', sortKey: 'status', render: e => <StatusBadge status={e.status} title={e.status_reason} /> },
      { id: 'trainings', label: trans.__('Trainings'), width: '90px', render: e => String(e.training_count ?? 0) },
      { id: 'description', label: trans.__('Description'), width: 'minmax(120px, 2fr)', render: e => e.description },
      { id: 'created', label: trans.__('Created'), width: '165px', sortKey: 'created_at', render: e => <TimeCell value={e.created_at} /> }
    ]
  };
  const panel = new ResourceListPanel(ctx, model, config);
  panel.id = 'jp-EasyMaker-experiments';
  panel.title.label = trans.__('Experiments');
  return panel;
}
