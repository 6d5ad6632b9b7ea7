/** The Trainings area: columns and actions of the trainings table. */
import * as React from 'react';

import { CommandIDs } from '../../commands';
import type { IToolbarAction } from '../../shared/components/ListToolbar';
import { StatusBadge } from '../../shared/components/StatusBadge';
import type { EasyMakerContext } from '../../shared/context';
import { ElapsedCell, NameCell, TimeCell } from '../../shared/panels/cells';
import { standardActions } from '../../shared/panels/listActions';
import { IResourceListConfig, ResourceListPanel, createListPanel } from '../../shared/panels/resourceList';
import { ResourceListModel } from '../../shared/state/listModel';
import { statusesOf } from '../../shared/status';
import { trainingsApi, type ITraining } from './api';

export function trainingsModel(ctx: EasyMakerContext, experimentId?: string): ResourceListModel<ITraining> {
  return new ResourceListModel<ITraining>({
    fetch: params => trainingsApi(ctx).list(params),
    kind: trainingsApi(ctx).kind,
    query: experimentId ? { experimentId } : {}
  });
}

/** Stop, delete, copy, save as template, TensorBoard: on the selected trainings. */
export function trainingActions(ctx: EasyMakerContext, selected: ITraining[], experimentId?: string): IToolbarAction[] {
  const { trans } = ctx;
  const commands = ctx.app.commands;
  const actions = standardActions(ctx, selected, {
    kind: 'training',
    createLabel: trans.__('Create training'),
    create: () => void commands.execute(CommandIDs.createTraining, experimentId ? { experimentId } : {}),
    stop: { run: t => trainingsApi(ctx).stop(t.id), title: trans.__('Stop the selected running trainings') },
    copy: {
      run: t => void commands.execute(CommandIDs.createTraining, { copyFrom: t.id }),
      title: trans.__('Open a create form pre-filled from each selected training')
    },
    remove: {
      run: t => trainingsApi(ctx).remove(t.id),
      blocked: trans.__('Running trainings must be stopped before they can be deleted'),
      noun: trans.__('trainings'),
      title: trans.__('Delete the selected trainings')
    }
  });
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
  return createListPanel(ctx, trainingsApi(ctx), trainingsConfig(ctx), { id: 'jp-EasyMaker-trainings', title: ctx.trans.__('Trainings') });
}
