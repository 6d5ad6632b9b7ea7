/** One experiment: overview and its trainings (the guide's 학습 tab). */
import * as React from 'react';

import type { IChangeEvent, IExperiment, ITraining } from '../api/types';
import { CommandIDs } from '../commands';
import { StatusBadge } from '../components/StatusBadge';
import { Tabs } from '../components/Tabs';
import type { EasyMakerContext } from '../context';
import { useTrans } from '../i18n/react';
import { formatTime } from '../state/format';
import { ResourceListModel, errorText } from '../state/listModel';
import { DetailTable, EasyMakerPanel } from './base';
import { ResourceListView, connectListModel } from './resourceList';
import { trainingsConfig, trainingsModel } from './trainings';

export class ExperimentDetailPanel extends EasyMakerPanel {
  constructor(ctx: EasyMakerContext, readonly experimentId: string) {
    super(ctx);
    this.addClass('jp-EasyMaker-detail');
    this.id = `jp-EasyMaker-experiment-${experimentId}`;
    this.title.label = ctx.trans.__('Experiment');
    this.title.closable = true;
    this.trainings = trainingsModel(ctx, experimentId);
    connectListModel(ctx, this.trainings, this);
    ctx.feed.changed.connect(this._onChange, this);
    void this.reload();
    void this.trainings.refresh();
  }

  readonly trainings: ResourceListModel<ITraining>;
  tab: 'overview' | 'trainings' = 'trainings';

  get experiment(): IExperiment | null {
    return this._experiment;
  }

  get error(): string | null {
    return this._error;
  }

  async reload(): Promise<void> {
    try {
      this._experiment = await this.ctx.api.experiments.get(this.experimentId);
      this._error = null;
      this.title.label = this._experiment.name;
    } catch (error) {
      this._error = errorText(error);
    }
    this.update();
  }

  dispose(): void {
    this.ctx.feed.changed.disconnect(this._onChange, this);
    super.dispose();
  }

  protected renderPanel(): JSX.Element {
    return <ExperimentView panel={this} />;
  }

  private _onChange(_: unknown, event: IChangeEvent): void {
    const ours = event.kind === this.ctx.api.experiments.kind && event.id === this.experimentId;
    // a training created or deleted changes the training count
    const training = event.kind === this.ctx.api.trainings.kind && (event.change === 'created' || event.change === 'deleted');
    if (ours || training) {
      void this.reload();
    }
  }

  private _experiment: IExperiment | null = null;
  private _error: string | null = null;
}

function ExperimentView(props: { panel: ExperimentDetailPanel }): JSX.Element {
  const { panel } = props;
  const { ctx } = panel;
  const trans = useTrans();
  const e = panel.experiment;
  const commands = ctx.app.commands;
  const trainingsList = React.useMemo(() => trainingsConfig(ctx, panel.experimentId), [ctx, panel.experimentId]);
  if (!e) {
    return <div className="jp-EasyMaker-detailBody">{panel.error ? <div className="jp-EasyMaker-error">{panel.error}</div> : trans.__('Loading…')}</div>;
  }
  return (
    <div className="jp-EasyMaker-detailBody" data-status={e.status}>
      <div className="jp-EasyMaker-detailHeader">
        <h2 className="jp-EasyMaker-detailTitle">{e.name}</h2>
        <StatusBadge status={e.status} title={e.status_reason} />
        <span className="jp-EasyMaker-spacer" />
        {e.status === 'CREATE FAILED' ? (
          <button type="button" className="jp-EasyMaker-button" data-action="retry" onClick={() => void ctx.api.experiments.retry(e.id).then(() => panel.reload())}>
            {trans.__('Retry')}
          </button>
        ) : null}
        {ctx.capabilities.tensorboard !== false ? (
          <button type="button" className="jp-EasyMaker-button" data-action="tensorboard" onClick={() => void commands.execute(CommandIDs.openTensorBoard, { experimentId: e.id })}>
            {trans.__('Open TensorBoard')}
          </button>
        ) : null}
      </div>
      {panel.error ? <div className="jp-EasyMaker-error">{panel.error}</div> : null}
      <Tabs
        tabs={[
          { id: 'trainings', label: trans.__('Trainings') },
          { id: 'overview', label: trans.__('Overview') }
        ]}
        active={panel.tab}
        onChange={id => {
          panel.tab = id as 'overview' | 'trainings';
          panel.update();
        }}
      />
      <div className="jp-EasyMaker-tabBody" data-tab-body={panel.tab}>
        {panel.tab === 'overview' ? (
          <DetailTable
            rows={[
              [trans.__('Name'), e.name],
              [trans.__('ID'), <code>{e.id}</code>],
              [trans.__('Description'), e.description],
              [trans.__('Status'), <span><StatusBadge status={e.status} /> {e.status_reason}</span>],
              [trans.__('Trainings'), String(e.training_count ?? 0)],
              [trans.__('TensorBoard log directory'), e.tensorboard_log_dir ?? ''],
              [trans.__('Created'), formatTime(e.created_at)],
              [trans.__('Updated'), formatTime(e.updated_at)]
            ]}
          />
        ) : (
          <ResourceListView ctx={ctx} model={panel.trainings} config={trainingsList} />
        )}
      </div>
    </div>
  );
}
