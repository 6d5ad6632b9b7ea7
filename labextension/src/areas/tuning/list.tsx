/** The Hyperparameter tuning area: columns and actions of the tunings table. */
import * as React from 'react';

import { CommandIDs } from '../../commands';
import { StatusBadge } from '../../shared/components/StatusBadge';
import type { EasyMakerContext } from '../../shared/context';
import { NameCell, NumberCell, TimeCell } from '../../shared/panels/cells';
import { standardActions } from '../../shared/panels/listActions';
import { IResourceListConfig, ResourceListPanel, createListPanel } from '../../shared/panels/resourceList';
import { statusesOf } from '../../shared/status';
import type { ITuning } from './api';
import { tuningsApi } from './api';

export function tuningsConfig(ctx: EasyMakerContext): IResourceListConfig<ITuning> {
  const { trans } = ctx;
  const commands = ctx.app.commands;
  const open = (row: ITuning) => void commands.execute(CommandIDs.openTuning, { id: row.id });
  return {
    area: 'hyperparameter-tuning',
    statuses: statusesOf('hyperparameter tuning'),
    empty: trans.__('No hyperparameter tunings yet. Create one with "Create tuning" or %%easymaker hpo.'),
    open,
    actions: selected =>
      standardActions(ctx, selected, {
        kind: 'hyperparameter tuning',
        createLabel: trans.__('Create tuning'),
        create: () => void commands.execute(CommandIDs.createTuning, {}),
        stop: { run: t => tuningsApi(ctx).stop(t.id) },
        copy: { run: t => void commands.execute(CommandIDs.createTuning, { copyFrom: t.id }) },
        remove: {
          run: t => tuningsApi(ctx).remove(t.id),
          blocked: trans.__('Running tunings must be stopped before they can be deleted'),
          noun: trans.__('hyperparameter tunings')
        }
      }),
    columns: () => [
      { id: 'name', label: trans.__('Name'), width: 'minmax(160px, 2fr)', sortKey: 'name', render: t => <NameCell name={t.name} description={t.description} onOpen={() => open(t)} /> },
      {
        id: 'status',
        label: trans.__('Status'),
        width: '230px',
        sortKey: 'status',
        render: t => (
          <span>
            <StatusBadge status={t.status} title={t.status_reason} />
            {t.status_detail ? <span className="jp-EasyMaker-statusDetail"> ({t.status_detail})</span> : null}
          </span>
        )
      },
      { id: 'trials', label: trans.__('Trials'), width: '110px', render: t => `${t.trials?.completed ?? 0} / ${t.max_trials}` },
      { id: 'best', label: trans.__('Best objective'), width: '120px', render: t => <NumberCell value={t.best_trial?.objective_value} /> },
      { id: 'strategy', label: trans.__('Strategy'), width: '90px', render: t => t.strategy },
      { id: 'experiment', label: trans.__('Experiment'), width: 'minmax(100px, 1fr)', render: t => t.experiment_name ?? '' },
      { id: 'created', label: trans.__('Created'), width: '165px', sortKey: 'created_at', render: t => <TimeCell value={t.created_at} /> }
    ]
  };
}

export function createTuningsPanel(ctx: EasyMakerContext): ResourceListPanel<ITuning> {
  return createListPanel(ctx, tuningsApi(ctx), tuningsConfig(ctx), { id: 'jp-EasyMaker-hyperparameter-tunings', title: ctx.trans.__('Hyperparameter tuning') });
}
