/** One experiment: its trainings (the guide's 학습 tab) and overview. */
import * as React from 'react';

import type { IChangeEvent, IExperiment, ITraining } from '../api/types';
import { CommandIDs } from '../commands';
import type { IToolbarAction } from '../components/ListToolbar';
import type { EasyMakerContext } from '../context';
import { formatTime } from '../state/format';
import { settledOf } from '../status';
import { ResourceListModel } from '../state/listModel';
import { DetailTable, notifyError } from './base';
import { StatusBadge } from '../components/StatusBadge';
import { IDetailTab, ResourceDetailPanel } from './resourceDetail';
import { IResourceListConfig, ResourceListView, connectListModel } from './resourceList';
import { trainingsConfig, trainingsModel } from './trainings';

export class ExperimentDetailPanel extends ResourceDetailPanel<IExperiment> {
  constructor(ctx: EasyMakerContext, experimentId: string) {
    super(ctx, { api: ctx.api.experiments, id: experimentId, finalStatuses: settledOf('experiment'), name: 'experiment', tab: 'trainings' });
    this.title.label = ctx.trans.__('Experiment');
    this.trainings = trainingsModel(ctx, experimentId);
    this._trainingsList = trainingsConfig(ctx, experimentId);
    connectListModel(ctx, this.trainings, this);
    void this.trainings.refresh();
  }

  readonly trainings: ResourceListModel<ITraining>;

  /** A training created or deleted changes the training count. */
  protected watches(event: IChangeEvent): boolean {
    return event.kind === this.ctx.api.trainings.kind && (event.change === 'created' || event.change === 'deleted');
  }

  protected actions(e: IExperiment): IToolbarAction[] {
    const { trans, ctx } = this;
    const actions: IToolbarAction[] = [];
    if (e.status === 'CREATE FAILED') {
      actions.push({
        id: 'retry',
        label: trans.__('Retry'),
        onClick: () =>
          void ctx.api.experiments
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
      {
        id: 'overview',
        label: trans.__('Overview'),
        render: () => (
          <DetailTable
            rows={[
              [trans.__('Name'), e.name],
              [trans.__('ID'), <code>{e.id}</code>],
              [trans.__('Description'), e.description],
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
            ]}
          />
        )
      }
    ];
  }

  private _trainingsList: IResourceListConfig<ITraining>;
}
