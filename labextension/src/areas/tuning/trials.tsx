/** The trials tab of a tuning: a sortable table (best trial highlighted) and the selected trial's metrics and log tail. */
import * as React from 'react';

import type { IMetrics } from '../../shared/api/types';
import { useNow } from '../../shared/components/hooks';
import { LogView } from '../../shared/components/LogView';
import { StatusBadge } from '../../shared/components/StatusBadge';
import { useTrans } from '../../shared/i18n/react';
import { DetailTable } from '../../shared/panels/base';
import { StatusHistory } from '../../shared/panels/cells';
import { MetricsView } from '../../shared/panels/metricsViews';
import { formatElapsed, formatTime, parseTime } from '../../shared/state/format';
import type { LogModel } from '../../shared/state/logModel';
import { clockRuns } from '../../shared/status';
import type { IParameterSpec, ITrial } from './api';
import { TrialSortKey, formatValue, sortTrials } from './chartData';


/** A trial's run time: ticking while it runs. */
export function trialElapsed(t: ITrial, nowMs: number): number | null {
  const started = parseTime(t.started_at);
  if (started !== null && !t.finished_at && clockRuns('trial', t.status)) {
    return Math.max(0, (nowMs - started) / 1000);
  }
  return t.elapsed_seconds ?? null;
}

export interface ITrialsTableProps {
  trials: ITrial[] | null;
  total: number;
  error: string | null;
  parameters: IParameterSpec[];
  objective: string;
  goal: 'minimize' | 'maximize';
  selectedId: string | null;
  onSelect(trialId: string | null): void;
}

export function TrialsTable(props: ITrialsTableProps): JSX.Element {
  const trans = useTrans();
  const [sort, setSort] = React.useState<{ key: TrialSortKey; desc: boolean }>({ key: 'number', desc: false });
  const running = !!props.trials?.some(t => clockRuns('trial', t.status));
  const now = useNow(1000, running);
  if (props.error && !props.trials) {
    return <div className="jp-EasyMaker-error">{props.error}</div>;
  }
  if (!props.trials) {
    return <div className="jp-EasyMaker-empty">{trans.__('Loading…')}</div>;
  }
  if (!props.trials.length) {
    return <div className="jp-EasyMaker-empty" data-role="no-trials">{trans.__('No trials yet: the first are suggested once the tuning runs.')}</div>;
  }
  const names = props.parameters.length ? props.parameters.map(p => p.name) : [...new Set(props.trials.flatMap(t => Object.keys(t.parameters)))];
  const rows = sortTrials(props.trials, sort.key, sort.desc);
  const header = (key: TrialSortKey, label: string) => {
    const active = sort.key === key;
    return (
      <th
        data-sort={key}
        aria-sort={active ? (sort.desc ? 'descending' : 'ascending') : 'none'}
        className="jp-EasyMaker-sortable"
        onClick={() => setSort({ key, desc: active ? !sort.desc : key === 'objective' ? props.goal === 'maximize' : false })}
      >
        {label}
        {active ? (sort.desc ? ' ▼' : ' ▲') : ''}
      </th>
    );
  };
  return (
    <div className="jp-EasyMaker-trialTableWrap">
      <div className="jp-EasyMaker-count" data-role="trial-count">
        {trans.__('%1 trials', props.total)}
        {props.total > props.trials.length ? ` (${trans.__('%1 shown', props.trials.length)})` : ''}
      </div>
      <table className="jp-EasyMaker-details jp-EasyMaker-trialTable" data-role="trials">
        <thead>
          <tr>
            {header('number', '#')}
            {header('status', trans.__('Status'))}
            {names.map(n => (
              <th key={n} data-param={n}>
                {n}
              </th>
            ))}
            {header('objective', `${props.objective} (${props.goal === 'maximize' ? '↑' : '↓'})`)}
            {header('elapsed', trans.__('Elapsed'))}
            <th>{trans.__('Started')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(t => (
            <tr
              key={t.id}
              data-trial={t.number}
              data-status={t.status}
              data-best={t.is_best ? 'true' : undefined}
              aria-selected={t.id === props.selectedId}
              className={'jp-EasyMaker-trialRow' + (t.is_best ? ' jp-mod-best' : '') + (t.id === props.selectedId ? ' jp-mod-selected' : '')}
              onClick={() => props.onSelect(t.id === props.selectedId ? null : t.id)}
            >
              <td>
                {t.number}
                {t.is_best ? (
                  <span className="jp-EasyMaker-bestMark" title={trans.__('Best trial')}>
                    {' '}
                    ★
                  </span>
                ) : null}
              </td>
              <td>
                <StatusBadge status={t.status} title={t.status_reason} />
              </td>
              {names.map(n => (
                <td key={n} className="jp-EasyMaker-number">
                  {formatValue(t.parameters[n])}
                </td>
              ))}
              <td className="jp-EasyMaker-number" data-role="objective">
                {formatValue(t.objective_value)}
              </td>
              <td>{formatElapsed(trialElapsed(t, now))}</td>
              <td>{formatTime(t.started_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export interface ITrialDetailProps {
  trial: ITrial;
  metrics: IMetrics | null;
  metricsError: string | null;
  logs: LogModel;
  logState: string;
  onDownload(): void;
  onClose(): void;
}

/** The selected trial: its record, intermediate values / metrics and its log tail. */
export function TrialDetail(props: ITrialDetailProps): JSX.Element {
  const trans = useTrans();
  const t = props.trial;
  return (
    <div className="jp-EasyMaker-trialDetail" data-role="trial-detail" data-trial={t.number}>
      <div className="jp-EasyMaker-toolbarRow">
        <h3 className="jp-EasyMaker-trialTitle">
          {t.name} {t.is_best ? <span className="jp-EasyMaker-bestMark">★ {trans.__('Best trial')}</span> : null}
        </h3>
        <StatusBadge status={t.status} title={t.status_reason} />
        <span className="jp-EasyMaker-spacer" />
        <button type="button" className="jp-EasyMaker-button" data-action="close-trial" onClick={props.onClose}>
          {trans.__('Close')}
        </button>
      </div>
      <div className="jp-EasyMaker-trialDetailGrid">
        <div>
          <DetailTable
            rows={[
              [trans.__('Status reason'), t.status_reason],
              [trans.__('Objective value'), formatValue(t.objective_value)],
              ...Object.entries(t.parameters).map(([k, v]) => [k, formatValue(v)] as [string, React.ReactNode]),
              [trans.__('Exit code'), t.exit_code ?? ''],
              [trans.__('Started'), formatTime(t.started_at)],
              [trans.__('Finished'), formatTime(t.finished_at)],
              [trans.__('Model directory'), <code>{t.model_dir}</code>],
              [trans.__('TensorBoard log directory'), <code>{t.tensorboard_log_dir}</code>]
            ]}
          />
          {t.history?.length ? <StatusHistory history={t.history} /> : null}
        </div>
        <div>
          <MetricsView metrics={props.metrics} error={props.metricsError} />
        </div>
      </div>
      <div className="jp-EasyMaker-trialLogs">
        <LogView model={props.logs} state={props.logState} onDownload={props.onDownload} />
      </div>
    </div>
  );
}
