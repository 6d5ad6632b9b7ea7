/** The Models area: columns and actions of the models table. */
import * as React from 'react';

import { CommandIDs } from '../../commands';
import { StatusBadge } from '../../shared/components/StatusBadge';
import type { EasyMakerContext } from '../../shared/context';
import { NameCell, TimeCell } from '../../shared/panels/cells';
import { standardActions } from '../../shared/panels/listActions';
import { IResourceListConfig, ResourceListPanel, createListPanel } from '../../shared/panels/resourceList';
import { statusesOf } from '../../shared/status';
import type { IModel } from './api';
import { modelsApi } from './api';

/** Where a model came from, in a few words. */
export function modelSource(m: IModel): string {
  if (m.hyperparameter_tuning_id) {
    return `tuning ${m.hyperparameter_tuning_id.slice(0, 8)}`;
  }
  if (m.training_name || m.training_id) {
    return `training ${m.training_name ?? m.training_id}`;
  }
  return m.huggingface_model_id || m.artifact_path;
}

export function modelsConfig(ctx: EasyMakerContext): IResourceListConfig<IModel> {
  const { trans } = ctx;
  const commands = ctx.app.commands;
  const open = (row: IModel) => void commands.execute(CommandIDs.openModel, { id: row.id });
  return {
    area: 'models',
    statuses: statusesOf('model'),
    empty: trans.__('No models yet. Create one from a COMPLETE training, a tuning\'s best trial, a path or a Hugging Face model id.'),
    open,
    actions: selected => [
      ...standardActions(ctx, selected, {
        kind: 'model',
        createLabel: trans.__('Create model'),
        create: () => void commands.execute(CommandIDs.createModel, {}),
        copy: { run: m => void commands.execute(CommandIDs.createModel, { copyFrom: m.id }) },
        remove: {
          run: m => modelsApi(ctx).remove(m.id),
          blocked: trans.__('Models being created or deleted cannot be deleted'),
          noun: trans.__('models')
        }
      }),
      {
        id: 'deploy',
        label: trans.__('Create endpoint'),
        disabled: selected.length !== 1 || selected[0].status !== 'ACTIVE',
        onClick: () => void commands.execute(CommandIDs.createEndpoint, { modelId: selected[0].id })
      },
      {
        id: 'batch',
        label: trans.__('Batch inference'),
        disabled: selected.length !== 1 || selected[0].status !== 'ACTIVE',
        onClick: () => void commands.execute(CommandIDs.createBatchInference, { modelId: selected[0].id })
      },
      {
        id: 'evaluate',
        label: trans.__('Evaluate'),
        disabled: selected.length !== 1 || selected[0].status !== 'ACTIVE',
        onClick: () => void commands.execute(CommandIDs.createEvaluation, { modelId: selected[0].id })
      }
    ],
    columns: () => [
      { id: 'name', label: trans.__('Name'), width: 'minmax(160px, 2fr)', sortKey: 'name', render: m => <NameCell name={m.name} description={m.description} onOpen={() => open(m)} /> },
      { id: 'status', label: trans.__('Status'), width: '170px', sortKey: 'status', render: m => <StatusBadge status={m.status} title={m.status_reason} /> },
      { id: 'framework', label: trans.__('Framework'), width: '170px', render: m => `${m.framework} ${m.framework_version}`.trim() },
      { id: 'source', label: trans.__('Source'), width: 'minmax(160px, 2fr)', render: m => <span title={m.artifact_path}>{modelSource(m)}</span> },
      { id: 'created', label: trans.__('Created'), width: '165px', sortKey: 'created_at', render: m => <TimeCell value={m.created_at} /> }
    ]
  };
}

export function createModelsPanel(ctx: EasyMakerContext): ResourceListPanel<IModel> {
  return createListPanel(ctx, modelsApi(ctx), modelsConfig(ctx), { id: 'jp-EasyMaker-models', title: ctx.trans.__('Models') });
}
