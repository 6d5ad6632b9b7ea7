/** The Batch inference area: columns and actions of the batch inferences table. */
import * as React from 'react';

import { CommandIDs } from '../../commands';
import { StatusBadge } from '../../shared/components/StatusBadge';
import type { EasyMakerContext } from '../../shared/context';
import { NameCell, ProgressCell, TimeCell } from '../../shared/panels/cells';
import { standardActions } from '../../shared/panels/listActions';
import { IResourceListConfig, ResourceListPanel, createListPanel } from '../../shared/panels/resourceList';
import { formatElapsed } from '../../shared/state/format';
import { statusesOf } from '../../shared/status';
import type { IBatchInference } from './api';
import { batchInferencesApi } from './api';

export function batchConfig(ctx: EasyMakerContext): IResourceListConfig<IBatchInference> {
  const { trans } = ctx;
  const commands = ctx.app.commands;
  const open = (row: IBatchInference) => void commands.execute(CommandIDs.openBatchInference, { id: row.id });
  return {
    area: 'batch-inferences',
    statuses: statusesOf('batch inference'),
    empty: trans.__('No batch inferences yet. Create one with "Create batch inference" or %%easymaker batch.'),
    open,
    actions: selected =>
      standardActions(ctx, selected, {
        kind: 'batch inference',
        createLabel: trans.__('Create batch inference'),
        create: () => void commands.execute(CommandIDs.createBatchInference, {}),
        stop: { run: b => batchInferencesApi(ctx).stop(b.id) },
        copy: { run: b => void commands.execute(CommandIDs.createBatchInference, { copyFrom: b.id }) },
        remove: {
          run: b => batchInferencesApi(ctx).remove(b.id),
          blocked: trans.__('Running batch inferences must be stopped before they can be deleted'),
          noun: trans.__('batch inferences')
        }
      }),
    columns: () => [
      { id: 'name', label: trans.__('Name'), width: 'minmax(160px, 2fr)', sortKey: 'name', render: b => <NameCell name={b.name} description={b.description} onOpen={() => open(b)} /> },
      { id: 'status', label: trans.__('Status'), width: '200px', sortKey: 'status', render: b => <StatusBadge status={b.status} title={b.status_reason} /> },
      {
        id: 'progress',
        label: trans.__('Progress (records)'),
        width: '190px',
        render: b => <ProgressCell done={b.progress?.records_done ?? 0} total={b.progress?.records_total} errors={b.progress?.errors} />
      },
      { id: 'model', label: trans.__('Model'), width: 'minmax(110px, 1fr)', render: b => b.model_name ?? b.model_id },
      { id: 'elapsed', label: trans.__('Elapsed'), width: '80px', render: b => formatElapsed(b.elapsed_seconds) },
      { id: 'created', label: trans.__('Created'), width: '165px', sortKey: 'created_at', render: b => <TimeCell value={b.created_at} /> }
    ]
  };
}

export function createBatchPanel(ctx: EasyMakerContext): ResourceListPanel<IBatchInference> {
  return createListPanel(ctx, batchInferencesApi(ctx), batchConfig(ctx), { id: 'jp-EasyMaker-batch-inferences', title: ctx.trans.__('Batch inference') });
}
