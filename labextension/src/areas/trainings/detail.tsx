/**
 * One training: overview, hyperparameters, logs (live tail), metrics,
 * monitoring and status history, with stop / copy / template / model /
 * TensorBoard / delete. Kept current by the change feed (the shared
 * ResourceDetailPanel); its own `logs` events refresh the metrics instead
 * of re-reading the training.
 */
import * as React from 'react';

import { CommandIDs } from '../../commands';
import type { IChangeEvent, IMetrics } from '../../shared/api/types';
import type { IToolbarAction } from '../../shared/components/ListToolbar';
import { LogView } from '../../shared/components/LogView';
import { StatusBadge } from '../../shared/components/StatusBadge';
import type { EasyMakerContext } from '../../shared/context';
import type { ITrans } from '../../shared/i18n';
import { ElapsedCell } from '../../shared/panels/cells';
import { DetailRows, historyTab, overviewTab } from '../../shared/panels/detailTabs';
import { download } from '../../shared/panels/download';
import { MetricsView, MonitoringView } from '../../shared/panels/metricsViews';
import { IDetailTab, ResourceDetailPanel } from '../../shared/panels/resourceDetail';
import { formatTime } from '../../shared/state/format';
import { errorText } from '../../shared/state/listModel';
import { LogModel } from '../../shared/state/logModel';
import { clockRuns, isSettled, isStarting, isStoppable, settledOf } from '../../shared/status';
import { trainingsApi, type ITraining } from './api';
import { Hyperparameters } from './hyperparameters';
import { LogTail } from './logTail';


export class TrainingDetailPanel extends ResourceDetailPanel<ITraining> {
  constructor(ctx: EasyMakerContext, trainingId: string, tab = 'overview') {
    super(ctx, { api: trainingsApi(ctx), rename: (ref, body) => trainingsApi(ctx).update(ref, body), id: trainingId, finalStatuses: settledOf('training'), name: 'training', tab });
    this.title.label = ctx.trans.__('Training');
    this.logs = new LogModel();
    this._tail = new LogTail(trainingsApi(ctx), trainingId, this.logs);
    this._tail.stateChanged.connect(() => this.update());
    if (tab === 'logs') {
      this._tail.start();
    }
  }

  readonly logs: LogModel;

  get trainingId(): string {
    return this.resourceId;
  }

  get training(): ITraining | null {
    return this.resource;
  }

  get metrics(): IMetrics | null {
    return this._metrics;
  }

  get metricsError(): string | null {
    return this._metricsError;
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

  async reloadMetrics(): Promise<void> {
    const now = Date.now();
    if (now - this._metricsAt < 1000) {
      return;
    }
    this._metricsAt = now;
    try {
      this._metrics = await trainingsApi(this.ctx).metrics(this.trainingId);
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
    this._tail.dispose();
    this._refreshMetrics(false);
    super.dispose();
  }

  protected headerExtra(t: ITraining): React.ReactNode {
    return <ElapsedCell training={t} />;
  }

  /** New log lines: new metric points, so the charts are re-read (not the training). */
  protected onOwnEvent(event: IChangeEvent): boolean {
    if (event.change !== 'logs') {
      return false;
    }
    if (this.seen && this._showsMetrics()) {
      void this.reloadMetrics();
    }
    return true;
  }

  protected onTabShown(tab: string): void {
    if (tab === 'logs') {
      this._tail.start();
    }
    const metrics = this._showsMetrics();
    if (metrics) {
      void this.reloadMetrics();
    }
    // usage samples come without events: re-read them every few seconds while the job runs
    const t = this.resource;
    this._refreshMetrics(metrics && !!t && clockRuns('training', t.status));
  }

  protected actions(t: ITraining): IToolbarAction[] {
    const { trans, ctx } = this;
    const commands = ctx.app.commands;
    const [stop, copy, remove] = this.jobActions(t, {
      stop: { run: () => trainingsApi(ctx).stop(t.id), allowed: isStoppable('training', t.status) },
      copy: () => void commands.execute(CommandIDs.createTraining, { copyFrom: t.id }),
      remove: { run: () => trainingsApi(ctx).remove(t.id), allowed: isSettled('training', t.status), noun: trans.__('training') }
    });
    const actions: IToolbarAction[] = [
      { ...stop, danger: true },
      copy,
      { id: 'template', label: trans.__('Save as template'), onClick: () => void commands.execute(CommandIDs.createTemplate, { fromTraining: t.id }) }
    ];
    if (t.status === 'COMPLETE' && (ctx.capabilities.areas ?? []).includes('models')) {
      actions.push({ id: 'create-model', label: trans.__('Create model'), onClick: () => void commands.execute(CommandIDs.createModel, { trainingId: t.id }) });
    }
    if (ctx.capabilities.tensorboard !== false) {
      actions.push({ id: 'tensorboard', label: trans.__('Open TensorBoard'), onClick: () => void commands.execute(CommandIDs.openTensorBoard, { trainingId: t.id }) });
    }
    actions.push({ ...remove, title: remove.disabled ? trans.__('Running trainings must be stopped before they can be deleted') : undefined });
    return actions;
  }

  protected tabs(): IDetailTab[] {
    const { trans, ctx } = this;
    const t = this.resource as ITraining;
    return [
      overviewTab(trans, t, overviewRows(trans, t)),
      { id: 'hyperparameters', label: trans.__('Hyperparameters'), render: () => <Hyperparameters values={t.spec?.hyperparameters ?? {}} /> },
      {
        id: 'logs',
        label: trans.__('Logs'),
        render: () => (
          <LogView
            model={this.logs}
            state={this.tailState}
            onDownload={async () => {
              try {
                download(`${t.name}.log`, await trainingsApi(ctx).logText(t.id));
              } catch {
                download(`${t.name}.log`, this.logs.text());
              }
            }}
          />
        )
      },
      { id: 'metrics', label: trans.__('Metrics'), render: () => <MetricsView metrics={this._metrics} error={this._metricsError} /> },
      // the guide: the monitoring tab is disabled while the training is being created
      { id: 'monitoring', label: trans.__('Monitoring'), disabled: isStarting('training', t.status), render: () => <MonitoringView metrics={this._metrics} error={this._metricsError} /> },
      historyTab(trans, t.history)
    ];
  }

  private _showsMetrics(): boolean {
    return this.tab === 'metrics' || this.tab === 'monitoring';
  }

  private _refreshMetrics(on: boolean): void {
    if (!on && this._metricsTimer !== null) {
      clearInterval(this._metricsTimer);
      this._metricsTimer = null;
    } else if (on && this._metricsTimer === null) {
      const every = Math.max(2000, this.ctx.settings.refreshInterval * 1000);
      this._metricsTimer = setInterval(() => this.seen && void this.reloadMetrics(), every);
    }
  }

  private _tail: LogTail;
  private _metrics: IMetrics | null = null;
  private _metricsError: string | null = null;
  private _metricsAt = 0;
  private _metricsTimer: ReturnType<typeof setInterval> | null = null;
}

/** The training's own overview rows. */
function overviewRows(trans: ITrans, t: ITraining): DetailRows {
  const spec = t.spec ?? {};
  const algorithm = spec.algorithm;
  return [
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
}
