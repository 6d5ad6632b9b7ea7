/** One experiment: its trainings (the guide's 학습 tab), hyperparameter tunings and pipeline runs, and overview. */
import * as React from 'react';

import { CommandIDs } from '../../commands';
import type { IChangeEvent } from '../../shared/api/types';
import type { IToolbarAction } from '../../shared/components/ListToolbar';
import { StatusBadge } from '../../shared/components/StatusBadge';
import type { EasyMakerContext } from '../../shared/context';
import { notifyError } from '../../shared/panels/base';
import { overviewTab } from '../../shared/panels/detailTabs';
import { IDetailTab, ResourceDetailPanel } from '../../shared/panels/resourceDetail';
import { IResourceListConfig, ResourceListView, connectListModel } from '../../shared/panels/resourceList';
import { formatTime } from '../../shared/state/format';
import { ResourceListModel } from '../../shared/state/listModel';
import { settledOf } from '../../shared/status';
import { pipelineRunsApi, type IPipelineRun } from '../pipelines/api';
import { pipelineRunsConfig } from '../pipelines/list';
import { trainingsApi, type ITraining } from '../trainings/api';
import { trainingsConfig, trainingsModel } from '../trainings/list';
import { tuningsApi, type ITuning } from '../tuning/api';
import { tuningsConfig } from '../tuning/list';
import { experimentsApi, type IExperiment } from './api';

export class ExperimentDetailPanel extends ResourceDetailPanel<IExperiment> {
  constructor(ctx: EasyMakerContext, experimentId: string, tab = 'trainings') {
    super(ctx, { api: experimentsApi(ctx), rename: (ref, body) => experimentsApi(ctx).update(ref, body), id: experimentId, finalStatuses: settledOf('experiment'), name: 'experiment', tab });
    this.title.label = ctx.trans.__('Experiment');
    this.trainings = trainingsModel(ctx, experimentId);
    this._trainingsList = trainingsConfig(ctx, experimentId);
    connectListModel(ctx, this.trainings, this);
    void this.trainings.refresh();
    const areas = ctx.capabilities.areas ?? [];
    // the experiment's other work, where the server offers it: the list panels' views, filtered to this experiment
    if (areas.includes('hyperparameter-tuning')) {
      this.tunings = new ResourceListModel<ITuning>({
        fetch: params => tuningsApi(ctx).list(params),
        kind: tuningsApi(ctx).kind,
        query: { experimentId }
      });
      connectListModel(ctx, this.tunings, this);
      void this.tunings.refresh();
    }
    if (areas.includes('pipelines')) {
      this.pipelineRuns = new ResourceListModel<IPipelineRun>({
        fetch: params => pipelineRunsApi(ctx).list(params),
        kind: pipelineRunsApi(ctx).kind,
        query: { experimentId }
      });
      connectListModel(ctx, this.pipelineRuns, this);
      void this.pipelineRuns.refresh();
    }
  }

  readonly trainings: ResourceListModel<ITraining>;
  readonly tunings: ResourceListModel<ITuning> | null = null;
  readonly pipelineRuns: ResourceListModel<IPipelineRun> | null = null;

  /** A training created or deleted changes the training count. */
  protected watches(event: IChangeEvent): boolean {
    return event.kind === trainingsApi(this.ctx).kind && (event.change === 'created' || event.change === 'deleted');
  }

  protected actions(e: IExperiment): IToolbarAction[] {
    const { trans, ctx } = this;
    const actions: IToolbarAction[] = [];
    if (e.status === 'CREATE FAILED') {
      actions.push({
        id: 'retry',
        label: trans.__('Retry'),
        onClick: () =>
          void experimentsApi(ctx)
            .retry(e.id)
            .then(() => this.reload())
            .catch(error => notifyError(trans, trans.__('Retry'), error))
      });
    }
    if (ctx.capabilities.tensorboard !== false) {
      actions.push({
        id: 'tensorboard',
        label: trans.__('Open TensorBoard'),
        onClick: () => void ctx.app.commands.execute(CommandIDs.openTensorBoard, { experimentId: e.id })
      });
    }
    return actions;
  }

  protected tabs(): IDetailTab[] {
    const { trans, ctx } = this;
    const e = this.resource as IExperiment;
    return [
      { id: 'trainings', label: trans.__('Trainings'), render: () => <ResourceListView ctx={ctx} model={this.trainings} config={this._trainingsList} /> },
      ...(this.tunings
        ? [{ id: 'tunings', label: trans.__('Hyperparameter tunings'), render: () => <ResourceListView ctx={ctx} model={this.tunings!} config={this._tuningsList} /> }]
        : []),
      ...(this.pipelineRuns
        ? [{ id: 'pipeline-runs', label: trans.__('Pipeline runs'), render: () => <ResourceListView ctx={ctx} model={this.pipelineRuns!} config={this._runsList} /> }]
        : []),
      overviewTab(trans, e, [
        [
          trans.__('Status'),
          <span>
            <StatusBadge status={e.status} /> {e.status_reason}
          </span>
        ],
        [trans.__('Trainings'), String(e.training_count ?? 0)],
        [trans.__('TensorBoard log directory'), e.tensorboard_log_dir ?? ''],
        [trans.__('Created'), formatTime(e.created_at)],
        [trans.__('Updated'), formatTime(e.updated_at)]
      ])
    ];
  }

  private _trainingsList: IResourceListConfig<ITraining>;
  private _tuningsList = tuningsConfig(this.ctx);
  private _runsList = pipelineRunsConfig(this.ctx);
}
