/** The Experiments area: columns and actions of the experiments table. */
import * as React from 'react';

import { CommandIDs } from '../../commands';
import type { IToolbarAction } from '../../shared/components/ListToolbar';
import { StatusBadge } from '../../shared/components/StatusBadge';
import type { EasyMakerContext } from '../../shared/context';
import { runOnEach } from '../../shared/panels/base';
import { NameCell, TimeCell } from '../../shared/panels/cells';
import { standardActions } from '../../shared/panels/listActions';
import { IResourceListConfig, ResourceListPanel, createListPanel } from '../../shared/panels/resourceList';
import { statusesOf } from '../../shared/status';
import { experimentsApi, type IExperiment } from './api';

export function experimentActions(ctx: EasyMakerContext, selected: IExperiment[]): IToolbarAction[] {
  const { trans } = ctx;
  const commands = ctx.app.commands;
  const failed = selected.filter(e => e.status === 'CREATE FAILED');
  const actions = standardActions(ctx, selected, {
    kind: 'experiment',
    createLabel: trans.__('Create experiment'),
    create: () => void commands.execute(CommandIDs.createExperiment, {}),
    copy: { run: e => void commands.execute(CommandIDs.createExperiment, { copyFrom: e.id }) },
    remove: {
      run: e => experimentsApi(ctx).remove(e.id),
      blocked: trans.__('Experiments being created cannot be deleted'),
      noun: trans.__('experiments')
    }
  });
  actions.push({
    id: 'retry',
    label: trans.__('Retry'),
    disabled: failed.length === 0,
    title: trans.__('Retry the creation of failed experiments'),
    onClick: () => void runOnEach(failed, e => experimentsApi(ctx).retry(e.id), trans, trans.__('Retry failed'))
  });
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
  return createListPanel(ctx, experimentsApi(ctx), config, { id: 'jp-EasyMaker-experiments', title: trans.__('Experiments') });
}
