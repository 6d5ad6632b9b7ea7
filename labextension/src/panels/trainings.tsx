/** The Trainings area: columns and actions of the trainings table. */
import { Notification } from '@jupyterlab/apputils';
import * as React from 'react';

import type { ITraining } from '../api/types';
import { CommandIDs } from '../commands';
import { confirmDelete, confirmStop } from '../components/dialogs';
import { StatusBadge } from '../components/StatusBadge';
import type { IToolbarAction } from '../components/ListToolbar';
import type { EasyMakerContext } from '../context';
import { ResourceListModel } from '../state/listModel';
import { isSettled, isStoppable, statusesOf } from '../status';
import { runOnEach } from './base';
import { ElapsedCell, NameCell, TimeCell } from './cells';
import { IResourceListConfig, ResourceListPanel } from './resourceList';

export function trainingsModel(ctx: EasyMakerContext, experimentId?: string): ResourceListModel<ITraining> {
  return new ResourceListModel<ITraining>({
    fetch: params => ctx.api.trainings.list(params),
    kind: ctx.api.trainings.kind,
    query: experimentId ? { experimentId } : {}
  });
}

/** Stop, delete, copy, save as template, TensorBoard: on the selected trainings. */
export function trainingActions(ctx: EasyMakerContext, selected: ITraining[], experimentId?: string): IToolbarAction[] {
  const { trans } = ctx;
  const commands = ctx.app.commands;
  const stoppable = selected.filter(t => isStoppable('training', t.status));
  const deletable = selected.filter(t => isSettled('training', t.status));
  const actions: IToolbarAction[] = [
    {
      id: 'create',
      label: trans.__('Create training'),
      primary: true,
      onClick: () => void commands.execute(CommandIDs.createTraining, experimentId ? { experimentId } : {})
    },
    {
      id: 'stop',
      label: trans.__('Stop'),
      disabled: stoppable.length === 0,
      title: trans.__('Stop the selected running trainings'),
      onClick: async () => {
        if (!(await confirmStop(stoppable.map(t => t.name), trans))) {
          return;
        }
        await runOnEach(stoppable, t => ctx.api.trainings.stop(t.id), trans, trans.__('Stop failed'));
      }
    },
    {
      id: 'copy',
      label: trans.__('Copy'),
      disabled: selected.length === 0 || selected.length > 10,
      title: trans.__('Open a create form pre-filled from each selected training'),
      onClick: () => {
        for (const t of selected) {
          void commands.execute(CommandIDs.createTraining, { copyFrom: t.id });
        }
      }
    },
    {
      id: 'delete',
      label: trans.__('Delete'),
      danger: true,
      disabled: deletable.length === 0 || deletable.length !== selected.length,
      title:
        deletable.length !== selected.length
          ? trans.__('Running trainings must be stopped before they can be deleted')
          : trans.__('Delete the selected trainings'),
      onClick: async () => {
        if (!(await confirmDelete(trans.__('trainings'), deletable.map(t => t.name), trans))) {
          return;
        }
        const n = await runOnEach(deletable, t => ctx.api.trainings.remove(t.id), trans, trans.__('Delete failed'));
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
      onClick: () => void commands.execute(CommandIDs.openTensorBoard, { trainingId: selected[0].id })
    });
  }
  actions.push({
    id: 'model',
    label: trans.__('Create model'),
    disabled: selected.length !== 1 || selected[0].status !== 'COMPLETE',
    title: trans.__('A model from this COMPLETE training\'s model directory'),
    onClick: () => void commands.execute(CommandIDs.createModel, { trainingId: selected[0].id })
  });
  actions.push({
    id: 'template',
    label: trans.__('Save as template'),
    disabled: selected.length !== 1,
    onClick: () => void commands.execute(CommandIDs.createTemplate, { fromTraining: selected[0].id })
  });
  return actions;
}

export function trainingsConfig(ctx: EasyMakerContext, experimentId?: string): IResourceListConfig<ITraining> {
  const { trans } = ctx;
  const open = (row: ITraining) => void ctx.app.commands.execute(CommandIDs.openTraining, { id: row.id });
  return {
    area: 'trainings',
    statuses: statusesOf('training'),
    empty: trans.__('No trainings yet. Create one with "Create training".'),
    open,
    actions: selected => trainingActions(ctx, selected, experimentId),
    columns: () => [
      { id: 'name', label: trans.__('Name'), width: 'minmax(160px, 2fr)', sortKey: 'name', render: t => <NameCell name={t.name} description={t.description} onOpen={() => open(t)} /> },
      { id: 'status', label: trans.__('Status'), width: '170px', sortKey: 'status', render: t => <StatusBadge status={t.status} title={t.status_reason} /> },
      { id: 'elapsed', label: trans.__('Training time'), width: '90px', render: t => <ElapsedCell training={t} /> },
      { id: 'experiment', label: trans.__('Experiment'), width: 'minmax(100px, 1fr)', render: t => t.experiment_name ?? '' },
      { id: 'instance', label: trans.__('Instance type'), width: '110px', render: t => String(t.spec?.instance_type ?? '') },
      { id: 'backend', label: trans.__('Backend'), width: '90px', render: t => t.backend },
      { id: 'created', label: trans.__('Created'), width: '165px', sortKey: 'created_at', render: t => <TimeCell value={t.created_at} /> }
    ]
  };
}

export function createTrainingsPanel(ctx: EasyMakerContext): ResourceListPanel<ITraining> {
  const panel = new ResourceListPanel(ctx, trainingsModel(ctx), trainingsConfig(ctx));
  panel.id = 'jp-EasyMaker-trainings';
  panel.title.label = ctx.trans.__('Trainings');
  return panel;
}
