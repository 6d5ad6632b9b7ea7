/** The overview tab of a hyperparameter tuning: the best trial, the settings, the counts and the search space. */
import * as React from 'react';

import { useNow } from '../../shared/components/hooks';
import { StatusBadge } from '../../shared/components/StatusBadge';
import { useTrans } from '../../shared/i18n/react';
import { DetailTable } from '../../shared/panels/base';
import { DetailRows, identityRows } from '../../shared/panels/detailTabs';
import { formatElapsed, formatTime, trainingElapsed } from '../../shared/state/format';
import { isSettled } from '../../shared/status';
import type { IParameterSpec, ITuning } from './api';
import { formatValue } from './chartData';

export function TuningOverview(props: { tuning: ITuning; onSelectTrial(id: string): void; onOpenExperiment(): void }): JSX.Element {
  const trans = useTrans();
  const t = props.tuning;
  const active = !isSettled('hyperparameter tuning', t.status);
  const now = useNow(1000, active && !!t.started_at);
  const spec = t.spec ?? {};
  const c = t.trials ?? { total: 0, completed: 0, running: 0, failed: 0, early_stopped: 0, killed: 0 };
  const best = t.best_trial;
  const early = spec.early_stopping as { algorithm?: string; min_trials?: number; start_step?: number } | undefined;
  const space = (spec.search_space ?? spec.parameters ?? []) as IParameterSpec[];
  const rows: DetailRows = [
    ...identityRows(trans, t),
    [
      trans.__('Status'),
      <span>
        <StatusBadge status={t.status} /> {t.status_detail ? `(${t.status_detail}) ` : ''}
        {t.status_reason}
      </span>
    ],
    [
      trans.__('Experiment'),
      <button type="button" className="jp-EasyMaker-name" data-role="experiment-link" onClick={props.onOpenExperiment}>
        {t.experiment_name ?? t.experiment_id}
      </button>
    ],
    [trans.__('Strategy'), `${t.strategy}${t.sampler ? ` (${t.sampler})` : ''}`],
    [trans.__('Random seed'), spec.random_seed === undefined || spec.random_seed === null ? trans.__('none') : String(spec.random_seed)],
    [
      trans.__('Objective metric'),
      `${t.objective_metric} (${t.goal}${typeof t.target_value === 'number' ? `, ${trans.__('target %1', formatValue(t.target_value))}` : ''})`
    ],
    [
      trans.__('Trials'),
      <span data-role="trial-counts">
        {trans.__('%1 completed, %2 running, %3 failed, %4 early stopped, %5 killed — %6 of at most %7', c.completed, c.running, c.failed, c.early_stopped, c.killed, c.total, t.max_trials)}
      </span>
    ],
    [trans.__('Parallel trials'), t.parallel_trials],
    [trans.__('Maximum failed trials'), String(spec.max_failed_trials ?? '')],
    [trans.__('Early stopping'), early ? `${early.algorithm ?? 'median'} (min_trials=${early.min_trials}, start_step=${early.start_step})` : trans.__('off')],
    [trans.__('Elapsed'), <span data-role="elapsed">{formatElapsed(trainingElapsed(t, now))}</span>],
    [trans.__('Instance type'), String(spec.instance_type ?? '')],
    [trans.__('Instance count'), t.instance_count],
    [trans.__('Backend'), t.backend],
    [trans.__('Created'), formatTime(t.created_at)],
    [trans.__('Started'), formatTime(t.started_at)],
    [trans.__('Finished'), formatTime(t.finished_at)],
    [trans.__('TensorBoard log directory'), <code>{t.tensorboard_log_dir}</code>]
  ];
  return (
    <div className="jp-EasyMaker-tuningOverview">
      <div className="jp-EasyMaker-bestCard" data-role="best-trial">
        <div className="jp-EasyMaker-bestCardTitle">{trans.__('Best trial')}</div>
        {best ? (
          <>
            <div className="jp-EasyMaker-bestValue">
              {t.objective_metric} = <strong>{formatValue(best.objective_value)}</strong>{' '}
              <button type="button" className="jp-EasyMaker-name" data-role="open-best" onClick={() => props.onSelectTrial(best.id)}>
                {best.name}
              </button>
            </div>
            <table className="jp-EasyMaker-details">
              <tbody>
                {Object.entries(best.parameters).map(([k, v]) => (
                  <tr key={k} data-param={k}>
                    <td>{k}</td>
                    <td className="jp-EasyMaker-number">{formatValue(v)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        ) : (
          <div className="jp-EasyMaker-empty">{trans.__('No trial has succeeded yet.')}</div>
        )}
      </div>
      <DetailTable rows={rows} />
      {space?.length ? (
        <table className="jp-EasyMaker-details" data-role="search-space">
          <thead>
            <tr>
              <th>{trans.__('Hyperparameter')}</th>
              <th>{trans.__('Type')}</th>
              <th>{trans.__('Range or values')}</th>
            </tr>
          </thead>
          <tbody>
            {space.map(p => (
              <tr key={p.name}>
                <td>{p.name}</td>
                <td>{p.type}</td>
                <td>
                  {p.type === 'categorical'
                    ? (Array.isArray(p.values) ? p.values : String(p.values ?? '').split(',')).map(String).join(', ')
                    : `${formatValue(p.min)} … ${formatValue(p.max)}${p.step ? `, step ${formatValue(p.step)}` : ''}${p.log ? ', log' : ''}`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
