/**
 * One training: overview, hyperparameters, logs (live tail), metrics,
 * monitoring and status history, with stop / copy / template / TensorBoard
 * / delete. Kept current by the change feed.
 */
import { Notification } from '@jupyterlab/apputils';
import * as React from 'react';

import type { IChangeEvent, IMetrics, ITraining } from '../api/types';
import { CommandIDs } from '../commands';
import { confirmDelete, confirmStop } from '../components/dialogs';
import { useSignal } from '../components/hooks';
import { LogView } from '../components/LogView';
import { StatusBadge } from '../components/StatusBadge';
import { Tabs } from '../components/Tabs';
import type { EasyMakerContext } from '../context';
import { formatTime } from '../state/format';
import { useTrans } from '../i18n/react';
import { errorText } from '../state/listModel';
import { LogModel } from '../state/logModel';
import { STOPPABLE_TRAINING_STATUSES, isFinalTraining, isTrainingActive } from '../status';
import { DetailTable, EasyMakerPanel, notifyError } from './base';
import { ElapsedCell, StatusHistory } from './cells';
import { LogTail } from './logTail';
import { MetricsView, MonitoringView } from './metricsViews';

export const TRAINING_TABS = ['overview', 'hyperparameters', 'logs', 'metrics', 'monitoring', 'history'] as const;
export type TrainingTab = (typeof TRAINING_TABS)[number];

export class TrainingDetailPanel extends EasyMakerPanel {
  constructor(ctx: EasyMakerContext, readonly trainingId: string, tab: TrainingTab = 'overview') {
    super(ctx);
    this.addClass('jp-EasyMaker-detail');
    this.id = `jp-EasyMaker-training-${trainingId}`;
    this.node.dataset.trainingId = trainingId;
    this.title.label = ctx.trans.__('Training');
    this.title.closable = true;
    this._tab = tab;
    this.logs = new LogModel();
    this._tail = new LogTail(ctx.api.trainings, trainingId, this.logs);
    this._tail.stateChanged.connect(() => this.update());
    ctx.feed.changed.connect(this._onChange, this);
    ctx.feed.tick.connect(this._onTick, this);
    this.visibilityChanged.connect((_, seen) => {
      if (seen && this._stale) {
        void this.reload();
      }
    });
    if (tab === 'logs') {
      this._tail.start();
    }
    void this.reload();
  }

  readonly logs: LogModel;

  get training(): ITraining | null {
    return this._training;
  }

  get tab(): TrainingTab {
    return this._tab;
  }

  setTab(tab: TrainingTab): void {
    this._tab = tab;
    if (tab === 'logs') {
      this._tail.start();
    }
    if (tab === 'metrics' || tab === 'monitoring') {
      void this.reloadMetrics();
    }
    this.update();
  }

  async reload(): Promise<void> {
    this._stale = false;
    try {
      this._training = await this.ctx.api.trainings.get(this.trainingId);
      this._error = null;
      this.title.label = this._training.name;
      this.title.caption = `${this._training.name} (${this._training.status})`;
    } catch (error) {
      this._error = errorText(error);
    }
    this.update();
    if (this._tab === 'metrics' || this._tab === 'monitoring') {
      void this.reloadMetrics();
    }
  }

  async reloadMetrics(): Promise<void> {
    const now = Date.now();
    if (now - this._metricsAt < 1000) {
      return;
    }
    this._metricsAt = now;
    try {
      this._metrics = await this.ctx.api.trainings.metrics(this.trainingId);
      this._metricsError = null;
    } catch (error) {
      this._metricsError = errorText(error);
    }
    this.update();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.ctx.feed.changed.disconnect(this._onChange, this);
    this.ctx.feed.tick.disconnect(this._onTick, this);
    this._tail.dispose();
    if (this._timer !== null) {
      clearTimeout(this._timer);
    }
    super.dispose();
  }

  private _onChange(_: unknown, event: IChangeEvent): void {
    if (event.id !== this.trainingId || event.kind !== this.ctx.api.trainings.kind) {
      return;
    }
    if (event.change === 'deleted') {
      this._error = this.trans.__('This training was deleted.');
      this.update();
      return;
    }
    if (event.change === 'logs') {
      if (this.seen && (this._tab === 'metrics' || this._tab === 'monitoring')) {
        void this.reloadMetrics();
      }
      return;
    }
    if (this._training && event.status) {
      // show the new status at once; the full record follows
      this._training = { ...this._training, status: event.status };
      this.update();
    }
    if (!this.seen) {
      this._stale = true;
      return;
    }
    if (this._timer === null) {
      this._timer = setTimeout(() => {
        this._timer = null;
        void this.reload();
      }, 150);
    }
  }

  private _onTick(): void {
    const t = this._training;
    if (this.seen && (!t || !isFinalTraining(t.status))) {
      void this.reload();
    } else {
      this._stale = true;
    }
  }

  protected renderPanel(): JSX.Element {
    return <TrainingDetailView panel={this} />;
  }

  /** Shown in the logs tab. */
  get tailState(): string {
    const { trans } = this;
    switch (this._tail.state) {
      case 'streaming':
        return trans.__('following');
      case 'polling':
        return trans.__('reconnecting');
      case 'ended':
        return trans.__('ended (%1)', this.logs.ended ?? '');
      default:
        return '';
    }
  }

  get error(): string | null {
    return this._error;
  }

  get metrics(): IMetrics | null {
    return this._metrics;
  }

  get metricsError(): string | null {
    return this._metricsError;
  }

  private _tab: TrainingTab;
  private _training: ITraining | null = null;
  private _error: string | null = null;
  private _metrics: IMetrics | null = null;
  private _metricsError: string | null = null;
  private _metricsAt = 0;
  private _stale = false;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _tail: LogTail;
}

function TrainingDetailView(props: { panel: TrainingDetailPanel }): JSX.Element {
  const { panel } = props;
  const { ctx, trans } = panel;
  const t = panel.training;
  useSignal(ctx.feed.modeChanged);
  // refresh metrics/monitoring of a running job every few seconds while shown
  const running = !!t && isTrainingActive(t.status);
  React.useEffect(() => {
    if (!running || (panel.tab !== 'metrics' && panel.tab !== 'monitoring')) {
      return;
    }
    const timer = setInterval(() => panel.seen && void panel.reloadMetrics(), Math.max(2000, ctx.settings.refreshInterval * 1000));
    return () => clearInterval(timer);
  }, [running, panel.tab]);

  if (!t) {
    return (
      <div className="jp-EasyMaker-detailBody">
        {panel.error ? <div className="jp-EasyMaker-error">{panel.error}</div> : <div className="jp-EasyMaker-empty">{trans.__('Loading…')}</div>}
      </div>
    );
  }
  const creating = t.status === 'CREATE REQUESTED' || t.status === 'CREATE IN PROGRESS';
  const tabs = [
    { id: 'overview', label: trans.__('Overview') },
    { id: 'hyperparameters', label: trans.__('Hyperparameters') },
    { id: 'logs', label: trans.__('Logs') },
    { id: 'metrics', label: trans.__('Metrics') },
    // the guide: the monitoring tab is disabled while the training is being created
    { id: 'monitoring', label: trans.__('Monitoring'), disabled: creating },
    { id: 'history', label: trans.__('Status history') }
  ];
  const stoppable = STOPPABLE_TRAINING_STATUSES.includes(t.status);
  const commands = ctx.app.commands;
  return (
    <div className="jp-EasyMaker-detailBody" data-status={t.status}>
      <div className="jp-EasyMaker-detailHeader">
        <h2 className="jp-EasyMaker-detailTitle">{t.name}</h2>
        <StatusBadge status={t.status} title={t.status_reason} />
        <ElapsedCell training={t} />
        <span className="jp-EasyMaker-spacer" />
        <button
          type="button"
          className="jp-EasyMaker-button jp-mod-warn"
          data-action="stop"
          disabled={!stoppable}
          onClick={async () => {
            if (await confirmStop([t.name], trans)) {
              try {
                await ctx.api.trainings.stop(t.id);
                void panel.reload();
              } catch (error) {
                notifyError(trans, trans.__('Stop failed'), error);
              }
            }
          }}
        >
          {trans.__('Stop')}
        </button>
        <button type="button" className="jp-EasyMaker-button" data-action="copy" onClick={() => void commands.execute(CommandIDs.createTraining, { copyFrom: t.id })}>
          {trans.__('Copy')}
        </button>
        <button type="button" className="jp-EasyMaker-button" data-action="template" onClick={() => void commands.execute(CommandIDs.createTemplate, { fromTraining: t.id })}>
          {trans.__('Save as template')}
        </button>
        {t.status === 'COMPLETE' && (ctx.capabilities.areas ?? []).includes('models') ? (
          <button type="button" className="jp-EasyMaker-button" data-action="create-model" onClick={() => void commands.execute(CommandIDs.createModel, { trainingId: t.id })}>
            {trans.__('Create model')}
          </button>
        ) : null}
        {ctx.capabilities.tensorboard !== false ? (
          <button type="button" className="jp-EasyMaker-button" data-action="tensorboard" onClick={() => void commands.execute(CommandIDs.openTensorBoard, { trainingId: t.id })}>
            {trans.__('Open TensorBoard')}
          </button>
        ) : null}
        <button
          type="button"
          className="jp-EasyMaker-button jp-mod-warn"
          data-action="delete"
          disabled={!isFinalTraining(t.status)}
          title={isFinalTraining(t.status) ? '' : trans.__('Running trainings must be stopped before they can be deleted')}
          onClick={async () => {
            if (await confirmDelete(trans.__('training'), [t.name], trans)) {
              try {
                await ctx.api.trainings.remove(t.id);
                Notification.success(trans.__('%1 deleted', t.name), { autoClose: 3000 });
                panel.close();
              } catch (error) {
                notifyError(trans, trans.__('Delete failed'), error);
              }
            }
          }}
        >
          {trans.__('Delete')}
        </button>
      </div>
      {panel.error ? <div className="jp-EasyMaker-error">{panel.error}</div> : null}
      <Tabs tabs={tabs} active={panel.tab} onChange={id => panel.setTab(id as TrainingTab)} />
      <div className="jp-EasyMaker-tabBody" data-tab-body={panel.tab}>
        {panel.tab === 'overview' ? <Overview training={t} /> : null}
        {panel.tab === 'hyperparameters' ? <Hyperparameters values={t.spec?.hyperparameters ?? {}} /> : null}
        {panel.tab === 'logs' ? (
          <LogView
            model={panel.logs}
            state={panel.tailState}
            onDownload={async () => {
              try {
                const text = await ctx.api.trainings.logText(t.id);
                download(`${t.name}.log`, text);
              } catch (error) {
                download(`${t.name}.log`, panel.logs.text());
              }
            }}
          />
        ) : null}
        {panel.tab === 'metrics' ? <MetricsView metrics={panel.metrics} error={panel.metricsError} /> : null}
        {panel.tab === 'monitoring' ? <MonitoringView metrics={panel.metrics} error={panel.metricsError} /> : null}
        {panel.tab === 'history' ? <StatusHistory history={t.history} /> : null}
      </div>
    </div>
  );
}

function Overview(props: { training: ITraining }): JSX.Element {
  const trans = useTrans();
  const t = props.training;
  const spec = t.spec ?? {};
  const algorithm = spec.algorithm;
  const rows: [string, React.ReactNode][] = [
    [trans.__('Name'), t.name],
    [trans.__('ID'), <code>{t.id}</code>],
    [trans.__('Description'), t.description],
    [trans.__('Status'), <span><StatusBadge status={t.status} /> {t.status_reason}</span>],
    [trans.__('Experiment'), t.experiment_name ?? t.experiment_id],
    [trans.__('Training time'), <ElapsedCell training={t} />],
    [trans.__('Algorithm type'), algorithm?.type === 'builtin' ? trans.__('Built-in algorithm') : trans.__('Own algorithm')],
    [algorithm?.type === 'builtin' ? trans.__('Algorithm') : trans.__('Algorithm path'), algorithm?.type === 'builtin' ? algorithm?.name : algorithm?.source_dir],
    [trans.__('Entry point'), algorithm?.entry_point],
    [trans.__('Image'), spec.image],
    [trans.__('Instance type'), spec.instance_type],
    [trans.__('Backend'), t.backend],
    [trans.__('Distributed nodes'), spec.nodes],
    [trans.__('Use torchrun'), spec.use_torchrun ? trans.__('Yes') : trans.__('No')],
    [trans.__('Processes per node'), spec.nproc_per_node],
    [trans.__('Datasets'), (spec.datasets ?? []).map(d => `${d.name}: ${d.path}`).join(', ')],
    [trans.__('Checkpoint (input)'), spec.checkpoint_input_path],
    [trans.__('Output data'), spec.output_path],
    [trans.__('Checkpoint (output)'), spec.checkpoint_path],
    [trans.__('Maximum training time (seconds)'), spec.max_run_seconds],
    [trans.__('Model directory'), t.model_dir],
    [trans.__('TensorBoard log directory'), t.tensorboard_log_dir],
    [trans.__('Exit code'), t.exit_code ?? ''],
    [trans.__('Created'), formatTime(t.created_at)],
    [trans.__('Started'), formatTime(t.started_at)],
    [trans.__('Finished'), formatTime(t.finished_at)]
  ];
  return <DetailTable rows={rows} />;
}

function Hyperparameters(props: { values: { [key: string]: unknown } }): JSX.Element {
  const trans = useTrans();
  const entries = Object.entries(props.values);
  if (!entries.length) {
    return <div className="jp-EasyMaker-empty">{trans.__('No hyperparameters.')}</div>;
  }
  return (
    <table className="jp-EasyMaker-details" data-role="hyperparameters">
      <thead>
        <tr>
          <th>{trans.__('Key')}</th>
          <th>{trans.__('Value')}</th>
        </tr>
      </thead>
      <tbody>
        {entries.map(([k, v]) => (
          <tr key={k}>
            <td>{k}</td>
            <td>{String(v)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Save text as a file in the browser's downloads. */
export function download(filename: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

