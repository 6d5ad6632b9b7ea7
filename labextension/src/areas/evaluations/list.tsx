/** The Model evaluation area: columns and actions of the evaluations table. */
import * as React from 'react';

import { CommandIDs } from '../../commands';
import { StatusBadge } from '../../shared/components/StatusBadge';
import type { EasyMakerContext } from '../../shared/context';
import { NameCell, NumberCell, TimeCell } from '../../shared/panels/cells';
import { standardActions } from '../../shared/panels/listActions';
import { IResourceListConfig, ResourceListPanel, createListPanel } from '../../shared/panels/resourceList';
import { statusesOf } from '../../shared/status';
import type { IEvaluation } from './api';
import { evaluationsApi } from './api';
import { METRIC_LABELS, headlineMetric } from './chartData';

export function evaluationsConfig(ctx: EasyMakerContext): IResourceListConfig<IEvaluation> {
  const { trans } = ctx;
  const commands = ctx.app.commands;
  const open = (row: IEvaluation) => void commands.execute(CommandIDs.openEvaluation, { id: row.id });
  return {
    area: 'model-evaluations',
    statuses: statusesOf('model evaluation'),
    empty: trans.__('No model evaluations yet. Evaluate an ACTIVE model on a CSV or JSONL file with a target field.'),
    open,
    actions: selected => [
      ...standardActions(ctx, selected, {
        kind: 'model evaluation',
        createLabel: trans.__('Create model evaluation'),
        create: () => void commands.execute(CommandIDs.createEvaluation, {}),
        stop: { run: e => evaluationsApi(ctx).stop(e.id) },
        copy: { run: e => void commands.execute(CommandIDs.createEvaluation, { copyFrom: e.id }) },
        remove: {
          run: e => evaluationsApi(ctx).remove(e.id),
          blocked: trans.__('Running evaluations must be stopped before they can be deleted'),
          noun: trans.__('model evaluations')
        }
      }),
      {
        id: 'compare',
        label: trans.__('Compare'),
        title: trans.__('Compare the selected evaluations side by side'),
        disabled: selected.length < 2 || selected.length > 10,
        onClick: () => void commands.execute(CommandIDs.compareEvaluations, { ids: selected.map(e => e.id) })
      }
    ],
    columns: () => [
      { id: 'name', label: trans.__('Name'), width: 'minmax(160px, 2fr)', sortKey: 'name', render: e => <NameCell name={e.name} description={e.description} onOpen={() => open(e)} /> },
      { id: 'status', label: trans.__('Status'), width: '220px', sortKey: 'status', render: e => <StatusBadge status={e.status} title={e.status_reason} /> },
      { id: 'model', label: trans.__('Model'), width: 'minmax(110px, 1fr)', render: e => e.model_name ?? e.model_id },
      { id: 'task', label: trans.__('Task'), width: '110px', render: e => e.task },
      {
        id: 'metric',
        label: trans.__('Headline metric'),
        width: '150px',
        render: e => {
          const key = headlineMetric(e.task);
          return (
            <span title={trans.__(METRIC_LABELS[key])}>
              {trans.__(METRIC_LABELS[key])} <NumberCell value={e.metrics?.[key]} />
            </span>
          );
        }
      },
      { id: 'created', label: trans.__('Created'), width: '165px', sortKey: 'created_at', render: e => <TimeCell value={e.created_at} /> }
    ]
  };
}

export function createEvaluationsPanel(ctx: EasyMakerContext): ResourceListPanel<IEvaluation> {
  return createListPanel(ctx, evaluationsApi(ctx), evaluationsConfig(ctx), { id: 'jp-EasyMaker-model-evaluations', title: ctx.trans.__('Model evaluation') });
}
