/**
 * One hyperparameter tuning: overview, trials (table + the selected trial's
 * metrics and log tail), charts, logs of all trials and status history, with
 * stop / copy / model from the best trial / TensorBoard / delete. Trial
 * changes arrive as the tuning's own change events (`change: "trial"` or
 * `"logs"`), so the base class re-reads the tuning and `onLoaded` re-reads
 * what the open tab shows.
 */
import { Dialog, InputDialog, Notification, showDialog } from '@jupyterlab/apputils';
import * as React from 'react';

import { CommandIDs } from '../../commands';
import type { IChangeEvent, ILogRecord, IMetrics } from '../../shared/api/types';
import { confirmDelete } from '../../shared/components/dialogs';
import type { IToolbarAction } from '../../shared/components/ListToolbar';
import { LogView } from '../../shared/components/LogView';
import type { EasyMakerContext } from '../../shared/context';
import { useTrans } from '../../shared/i18n/react';
import { notifyError } from '../../shared/panels/base';
import { historyTab } from '../../shared/panels/detailTabs';
import { download } from '../../shared/panels/download';
import { LogPoller } from '../../shared/panels/logPoller';
import { IDetailTab, ResourceDetailPanel } from '../../shared/panels/resourceDetail';
import { errorText } from '../../shared/state/listModel';
import { LogModel } from '../../shared/state/logModel';
import { isSettled, isStoppable, settledOf } from '../../shared/status';
import { modelsApi } from '../models/api';
import type { IParameterSpec, ITrial, ITuning, ITuningMetrics } from './api';
import { tuningsApi } from './api';
import { objectiveData } from './chartData';
import { IntermediateChart, ObjectiveChart, ParallelCoordinates } from './charts';
import { TuningMonitoring } from './monitoring';
import { TuningOverview } from './overview';
import { TrialDetail, TrialsTable } from './trials';

export const TUNING_TABS = ['overview', 'trials', 'charts', 'logs', 'history'] as const;

/** Trials read per request (the server's page limit). */
const PAGE = 1000;
/** At most this many trials in the table (a tuning may have 10,000). */
const MAX_TABLE_TRIALS = 5000;

export class TuningDetailPanel extends ResourceDetailPanel<ITuning> {
  constructor(ctx: EasyMakerContext, id: string, tab?: string) {
    super(ctx, { api: tuningsApi(ctx), rename: (ref, body) => tuningsApi(ctx).update(ref, body), id, finalStatuses: settledOf('hyperparameter tuning'), name: 'hyperparameter-tuning', tab });
    this.title.label = ctx.trans.__('Hyperparameter tuning');
    this.allLogs = new LogModel();
    this.trialLogs = new LogModel();
    ctx.feed.changed.connect(this._onFeed, this);
    // no log reads while the tab is hidden; they catch up when it is shown
    this.visibilityChanged.connect((_, seen) => {
      this._allPoller?.setPaused(!seen);
      this._trialPoller?.setPaused(!seen);
    });
  }

  readonly allLogs: LogModel;
  readonly trialLogs: LogModel;

  get trials(): ITrial[] | null {
    return this._trials;
  }
  get trialTotal(): number {
    return this._trialTotal;
  }
  get trialsError(): string | null {
    return this._trialsError;
  }
  get chartData(): ITuningMetrics | null {
    return this._metrics;
  }
  get chartError(): string | null {
    return this._metricsError;
  }
  get selectedTrialId(): string | null {
    return this._selected;
  }
  get selectedTrial(): ITrial | null {
    return this._selectedTrial ?? this._trials?.find(t => t.id === this._selected) ?? null;
  }
  get trialMetrics(): IMetrics | null {
    return this._trialMetrics;
  }
  get trialMetricsError(): string | null {
    return this._trialMetricsError;
  }

  /** Show a trial in the trials tab (null: none). */
  selectTrial(trialId: string | null): void {
    if (trialId === this._selected) {
      return;
    }
    this._selected = trialId;
    this._selectedTrial = null;
    this._trialMetrics = null;
    this._trialMetricsError = null;
    this._trialPoller?.dispose();
    this._trialPoller = null;
    this.trialLogs.clear();
    if (trialId) {
      const t = this.resourceId;
      this._trialPoller = new LogPoller(
        after => tuningsApi(this.ctx).trialLogs(t, trialId, after),
        this.trialLogs,
        status => isSettled('trial', status)
      );
      this._trialPoller.stateChanged.connect(() => this.update());
      this._trialPoller.start();
      void this._loadTrial();
    }
    if (this.tab !== 'trials') {
      this.setTab('trials');
    } else {
      this.update();
    }
  }

  logState(poller: LogPoller | null): string {
    if (!poller) {
      return '';
    }
    return poller.state === 'ended' ? this.trans.__('ended') : poller.state === 'following' ? this.trans.__('following') : '';
  }

  get allLogsPoller(): LogPoller | null {
    return this._allPoller;
  }
  get trialLogsPoller(): LogPoller | null {
    return this._trialPoller;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.ctx.feed.changed.disconnect(this._onFeed, this);
    this._allPoller?.dispose();
    this._trialPoller?.dispose();
    if (this._dataTimer !== null) {
      clearTimeout(this._dataTimer);
    }
    super.dispose();
  }

  protected statusDetail(t: ITuning): string {
    return t.status_detail;
  }

  protected onTabShown(tab: string): void {
    if (tab === 'trials' || tab === 'charts' || tab === 'overview' || tab === 'monitoring') {
      this._scheduleData();
    }
    if (tab === 'logs' && !this._allPoller) {
      // each line is prefixed with its trial, as Katib's trial logs are read side by side
      this._allPoller = new LogPoller(
        after => tuningsApi(this.ctx).logs(this.resourceId, after),
        this.allLogs,
        status => isSettled('hyperparameter tuning', status),
        (r: ILogRecord) => {
          const number = this._numbers.get(String(r.trainingId ?? ''));
          return number === undefined ? r : { ...r, body: `[trial-${number}] ${r.body}` };
        }
      );
      this._allPoller.stateChanged.connect(() => this.update());
      this._allPoller.start();
    }
    if (tab === 'trials' && this._selected) {
      void this._loadTrial();
    }
  }

  protected actions(t: ITuning): IToolbarAction[] {
    const { trans, ctx } = this;
    const commands = ctx.app.commands;
    const final = isSettled('hyperparameter tuning', t.status);
    const actions: IToolbarAction[] = [];
    if (isStoppable('hyperparameter tuning', t.status)) {
      actions.push({ id: 'stop', label: trans.__('Stop'), danger: true, onClick: () => void this._stop(t) });
    }
    actions.push({ id: 'copy', label: trans.__('Copy'), onClick: () => void commands.execute(CommandIDs.createTuning, { copyFrom: t.id }) });
    actions.push({
      id: 'model',
      label: trans.__('Create model'),
      title: t.status !== 'COMPLETE'
        ? trans.__('A model is created from the best trial of a COMPLETE tuning')
        : t.best_trial
          ? trans.__('A model from the best trial (trial-%1)', t.best_trial.number)
          : trans.__('No trial has succeeded'),
      disabled: t.status !== 'COMPLETE' || !t.best_trial,
      primary: t.status === 'COMPLETE' && !!t.best_trial,
      onClick: () => void this._createModel(t)
    });
    if (ctx.capabilities.tensorboard !== false) {
      actions.push({
        id: 'tensorboard',
        label: trans.__('Open TensorBoard'),
        title: trans.__('Every trial as a run'),
        onClick: () => void commands.execute(CommandIDs.openTensorBoard, { tuningId: t.id })
      });
    }
    actions.push({
      id: 'delete',
      label: trans.__('Delete'),
      danger: true,
      disabled: !final,
      title: final ? '' : trans.__('Running tunings must be stopped before they can be deleted'),
      onClick: () => void this._delete(t)
    });
    return actions;
  }

  protected tabs(): IDetailTab[] {
    const { trans } = this;
    const t = this.resource as ITuning;
    return [
      {
        id: 'overview',
        label: trans.__('Overview'),
        render: () => (
          <TuningOverview
            tuning={t}
            onSelectTrial={id => this.selectTrial(id)}
            onOpenExperiment={() => void this.ctx.app.commands.execute(CommandIDs.openExperiment, { id: t.experiment_id })}
          />
        )
      },
      { id: 'trials', label: trans.__('Trials'), render: () => <TrialsTab panel={this} /> },
      { id: 'charts', label: trans.__('Charts'), render: () => <ChartsTab panel={this} /> },
      {
        id: 'monitoring',
        label: trans.__('Monitoring'),
        render: () => <TuningMonitoring ctx={this.ctx} tuningId={t.id} trials={this.trials} running={!isSettled('hyperparameter tuning', t.status)} />
      },
      {
        id: 'logs',
        label: trans.__('Logs'),
        render: () => (
          <LogView
            model={this.allLogs}
            state={this.logState(this._allPoller)}
            onDownload={() => download(`${this.resource?.name ?? 'tuning'}.log`, this.allLogs.text())}
          />
        )
      },
      historyTab(trans, this.resource?.history)
    ];
  }

  /** New log lines of this tuning: read them now rather than at the next poll. */
  private _onFeed(_: unknown, event: IChangeEvent): void {
    if (event.kind !== tuningsApi(this.ctx).kind || event.id !== this.resourceId || event.change !== 'logs') {
      return;
    }
    this._allPoller?.poke();
    if ((event as IChangeEvent & { trial_id?: string }).trial_id === this._selected) {
      this._trialPoller?.poke();
    }
  }

  /** Re-read trials and chart data: at most once a second, never two at once. */
  private _scheduleData(): void {
    if (this._dataTimer !== null) {
      return;
    }
    const wait = Math.max(0, this._dataAt + 1000 - Date.now());
    this._dataTimer = setTimeout(() => {
      this._dataTimer = null;
      if (this._dataBusy) {
        this._dataAgain = true;
        return;
      }
      void this._loadData();
    }, wait);
  }

  private async _loadData(): Promise<void> {
    this._dataBusy = true;
    this._dataAt = Date.now();
    const api = tuningsApi(this.ctx);
    const ref = this.resourceId;
    const tab = this.tab;
    await Promise.all([
      tab !== 'charts'
        ? (async () => {
            try {
              const items: ITrial[] = [];
              let total = 0;
              do {
                const page = await api.trials(ref, { offset: items.length, limit: PAGE, sort: 'number' });
                items.push(...page.items);
                total = page.total;
                if (!page.items.length) {
                  break;
                }
              } while (items.length < total && items.length < MAX_TABLE_TRIALS);
              this._trials = items;
              this._trialTotal = total;
              this._trialsError = null;
              for (const t of items) {
                this._numbers.set(t.id, t.number);
              }
            } catch (error) {
              this._trialsError = errorText(error);
            }
          })()
        : Promise.resolve(),
      tab === 'charts'
        ? api.metrics(ref).then(
            m => {
              this._metrics = m;
              this._metricsError = null;
            },
            error => {
              this._metricsError = errorText(error);
            }
          )
        : Promise.resolve()
    ]);
    this._dataBusy = false;
    this.update();
    if (this._dataAgain) {
      this._dataAgain = false;
      this._scheduleData();
    }
    if (this.tab === 'trials' && this._selected) {
      void this._loadTrial();
    }
  }

  /** The selected trial's record (with its history) and scraped metrics. */
  private async _loadTrial(): Promise<void> {
    const id = this._selected;
    if (!id) {
      return;
    }
    const api = tuningsApi(this.ctx);
    const [trial, metrics] = await Promise.allSettled([api.trial(this.resourceId, id), api.trialMetrics(this.resourceId, id)]);
    if (id !== this._selected) {
      return;
    }
    if (trial.status === 'fulfilled') {
      this._selectedTrial = trial.value;
    }
    if (metrics.status === 'fulfilled') {
      this._trialMetrics = metrics.value;
      this._trialMetricsError = null;
    } else {
      this._trialMetricsError = errorText(metrics.reason);
    }
    this.update();
  }

  private async _stop(t: ITuning): Promise<void> {
    const { trans } = this;
    const answer = await showDialog({
      title: trans.__('Stop hyperparameter tuning'),
      body: trans.__('Stop %1? Running trials are killed; finished trials, their logs and the best trial are kept. A stopped tuning cannot be resumed.', t.name),
      buttons: [Dialog.cancelButton({ label: trans.__('Cancel') }), Dialog.warnButton({ label: trans.__('Stop') })],
      defaultButton: 0
    });
    if (!answer.button.accept) {
      return;
    }
    try {
      await tuningsApi(this.ctx).stop(t.id);
      void this.reload();
    } catch (error) {
      notifyError(trans, trans.__('Stop failed'), error);
    }
  }

  private async _createModel(t: ITuning): Promise<void> {
    const { trans, ctx } = this;
    const commands = ctx.app.commands;
    // the models area's create form, pre-filled from this tuning, when it is there
    if (commands.hasCommand(CommandIDs.createModel)) {
      await commands.execute(CommandIDs.createModel, { tuningId: t.id });
      return;
    }
    const name = await InputDialog.getText({
      title: trans.__('Create model from the best trial'),
      label: trans.__('Model name'),
      text: `${t.name}-best`.slice(0, 50),
      okLabel: trans.__('Next'),
      cancelLabel: trans.__('Cancel')
    });
    if (!name.button.accept || !name.value) {
      return;
    }
    let frameworks: string[] = [];
    try {
      frameworks = (await modelsApi(ctx).frameworks()).map(f => f.name);
    } catch {
      frameworks = ['PyTorch', 'TensorFlow'];
    }
    const framework = await InputDialog.getItem({
      title: trans.__('Create model from the best trial'),
      label: trans.__('Framework'),
      items: frameworks,
      okLabel: trans.__('Create model'),
      cancelLabel: trans.__('Cancel')
    });
    if (!framework.button.accept || !framework.value) {
      return;
    }
    try {
      const model = await modelsApi(ctx).fromTuning(t.id, { name: name.value, framework: framework.value });
      Notification.success(trans.__('Model %1 created from trial-%2', model.name, t.best_trial?.number ?? ''), { autoClose: 4000 });
      if (commands.hasCommand(CommandIDs.openModel)) {
        void commands.execute(CommandIDs.openModel, { id: model.id });
      }
    } catch (error) {
      notifyError(trans, trans.__('The model could not be created'), error);
    }
  }

  private async _delete(t: ITuning): Promise<void> {
    const { trans } = this;
    if (!(await confirmDelete(trans.__('hyperparameter tuning'), [t.name], trans))) {
      return;
    }
    try {
      await tuningsApi(this.ctx).remove(t.id);
      Notification.success(trans.__('%1 deleted', t.name), { autoClose: 3000 });
      this.close();
    } catch (error) {
      notifyError(trans, trans.__('Delete failed'), error);
    }
  }

  private _trials: ITrial[] | null = null;
  private _trialTotal = 0;
  private _trialsError: string | null = null;
  private _metrics: ITuningMetrics | null = null;
  private _metricsError: string | null = null;
  private _selected: string | null = null;
  private _selectedTrial: ITrial | null = null;
  private _trialMetrics: IMetrics | null = null;
  private _trialMetricsError: string | null = null;
  private _allPoller: LogPoller | null = null;
  private _trialPoller: LogPoller | null = null;
  private _numbers = new Map<string, number>();
  private _dataTimer: ReturnType<typeof setTimeout> | null = null;
  private _dataAt = 0;
  private _dataBusy = false;
  private _dataAgain = false;
}

function TrialsTab(props: { panel: TuningDetailPanel }): JSX.Element {
  const { panel } = props;
  const t = panel.resource as ITuning;
  const selected = panel.selectedTrial;
  return (
    <div className="jp-EasyMaker-trialsTab">
      <TrialsTable
        trials={panel.trials}
        total={panel.trialTotal}
        error={panel.trialsError}
        parameters={(t.spec?.search_space ?? t.spec?.parameters ?? []) as IParameterSpec[]}
        objective={t.objective_metric}
        goal={t.goal}
        selectedId={panel.selectedTrialId}
        onSelect={id => panel.selectTrial(id)}
      />
      {selected ? (
        <TrialDetail
          trial={selected}
          metrics={panel.trialMetrics}
          metricsError={panel.trialMetricsError}
          logs={panel.trialLogs}
          logState={panel.logState(panel.trialLogsPoller)}
          onDownload={() => download(`${t.name}-${selected.name}.log`, panel.trialLogs.text())}
          onClose={() => panel.selectTrial(null)}
        />
      ) : null}
    </div>
  );
}

function ChartsTab(props: { panel: TuningDetailPanel }): JSX.Element {
  const { panel } = props;
  const trans = useTrans();
  const m = panel.chartData;
  const objective = React.useMemo(() => (m ? objectiveData(m.trials, m.goal) : null), [m]);
  if (panel.chartError && !m) {
    return <div className="jp-EasyMaker-error">{panel.chartError}</div>;
  }
  if (!m || !objective) {
    return <div className="jp-EasyMaker-empty">{trans.__('Loading…')}</div>;
  }
  return (
    <div className="jp-EasyMaker-tuningCharts" data-role="tuning-charts">
      <ObjectiveChart
        data={objective}
        metric={m.objective_metric}
        goal={m.goal}
        target={m.target_value}
        bestId={m.best_trial_id}
        selectedId={panel.selectedTrialId}
        onSelect={id => panel.selectTrial(id)}
      />
      <ParallelCoordinates metrics={m} selectedId={panel.selectedTrialId} onSelect={id => panel.selectTrial(id)} />
      <IntermediateChart metrics={m} />
    </div>
  );
}
