/**
 * API statistics (calls, successes, failures, latency percentiles over a
 * time range) and monitoring (CPU, memory, GPU of the query server) of a
 * RAG: re-read every few seconds while the tab is seen, never while hidden.
 */
import * as React from 'react';

import { CHART_COLORS, TimeChart } from '../../shared/components/TimeChart';
import type { EasyMakerContext } from '../../shared/context';
import { useTrans } from '../../shared/i18n/react';
import { MonitoringView } from '../../shared/panels/metricsViews';
import { PolledLogs } from '../../shared/panels/polledLogs';
import { formatNumber } from '../../shared/state/format';
import { errorText } from '../../shared/state/listModel';
import { IRagMonitoring, IRagStats, ragsApi } from './api';
import { usePolling } from './parts';
import { STATS_RANGES, StatsRange, formatLatency, podsText, statsQuery, statsSeries, statsTotals } from './shaping';

export const STATS_REFRESH_MS = 5000;
const MONITORING_REFRESH_MS = 10000;

function RangePicker(props: { range: StatsRange; onRange(range: StatsRange): void }): JSX.Element {
  const trans = useTrans();
  return (
    <div className="jp-EasyMaker-rangePicker" role="group" aria-label={trans.__('Time range')}>
      {STATS_RANGES.map(r => (
        <button
          key={r.id}
          type="button"
          data-range={r.id}
          aria-pressed={props.range === r.id}
          className={'jp-EasyMaker-button' + (props.range === r.id ? ' jp-mod-active' : '')}
          onClick={() => props.onRange(r.id)}
        >
          {r.id}
        </button>
      ))}
    </div>
  );
}

export function ApiStatsView(props: { ctx: EasyMakerContext; ragId: string; visible: boolean }): JSX.Element {
  const { ctx, ragId } = props;
  const trans = useTrans();
  const [range, setRange] = React.useState<StatsRange>('1h');
  const [stats, setStats] = React.useState<IRagStats | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  usePolling(
    async () => {
      try {
        setStats(await ragsApi(ctx).statistics(ragId, statsQuery(range)));
        setError(null);
      } catch (e) {
        setError(errorText(e));
      }
    },
    STATS_REFRESH_MS,
    props.visible,
    [ragId, range]
  );
  const series = statsSeries(stats);
  const totals = statsTotals(stats);
  const cards: [string, string, string][] = [
    ['calls', trans.__('Calls'), formatNumber(totals.calls)],
    ['success', trans.__('Successes'), formatNumber(totals.success)],
    ['failure', trans.__('Failures'), formatNumber(totals.failure)],
    ['success-rate', trans.__('Success rate'), totals.successRate === null ? '-' : `${Number(totals.successRate.toFixed(1))}%`],
    ['avg', trans.__('Mean latency'), formatLatency(totals.avg)],
    ['p95', trans.__('p95 latency'), formatLatency(totals.p95)],
    ['p99', trans.__('p99 latency'), formatLatency(totals.p99)]
  ];
  return (
    <div className="jp-EasyMaker-stageView" data-role="statistics">
      <div className="jp-EasyMaker-sectionHeader">
        <h3 className="jp-EasyMaker-groupTitle">{trans.__('API statistics')}</h3>
        <RangePicker range={range} onRange={setRange} />
      </div>
      {error ? <div className="jp-EasyMaker-error">{error}</div> : null}
      <div className="jp-EasyMaker-counts">
        {cards.map(([id, label, value]) => (
          <div key={id} className="jp-EasyMaker-countCard" data-total={id}>
            <div className="jp-EasyMaker-countValue">{value}</div>
            <div className="jp-EasyMaker-countLabel">{label}</div>
          </div>
        ))}
      </div>
      <div className="jp-EasyMaker-chartGrid">
        <TimeChart
          title={trans.__('API calls')}
          xKind="time"
          x={series.x}
          fromZero
          format={v => formatNumber(v)}
          series={[
            { label: trans.__('Calls'), values: series.calls, color: CHART_COLORS[0] },
            { label: trans.__('Successes'), values: series.success, color: CHART_COLORS[2] },
            { label: trans.__('Failures'), values: series.failure, color: CHART_COLORS[1] }
          ]}
        />
        <TimeChart
          title={trans.__('Latency (ms)')}
          xKind="time"
          points
          x={series.x}
          fromZero
          format={v => formatNumber(v)}
          series={[
            { label: 'p50', values: series.p50, color: CHART_COLORS[0] },
            { label: 'p95', values: series.p95, color: CHART_COLORS[3] },
            { label: 'p99', values: series.p99, color: CHART_COLORS[1] }
          ]}
        />
      </div>
    </div>
  );
}

export function RagMonitoringView(props: { ctx: EasyMakerContext; ragId: string; visible: boolean }): JSX.Element {
  const { ctx, ragId } = props;
  const trans = useTrans();
  const [range, setRange] = React.useState<StatsRange>('1h');
  const [monitoring, setMonitoring] = React.useState<IRagMonitoring | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  usePolling(
    async () => {
      try {
        setMonitoring(await ragsApi(ctx).monitoring(ragId, statsQuery(range).since));
        setError(null);
      } catch (e) {
        setError(errorText(e));
      }
    },
    MONITORING_REFRESH_MS,
    props.visible,
    [ragId, range]
  );
  const pods = podsText(monitoring?.pods);
  return (
    <div data-role="rag-monitoring">
      <div className="jp-EasyMaker-sectionHeader">
        <h3 className="jp-EasyMaker-groupTitle">{trans.__('Monitoring')}</h3>
        <RangePicker range={range} onRange={setRange} />
        {pods ? (
          <span data-role="pods">
            {trans.__('Pods')}: {pods}
          </span>
        ) : null}
      </div>
      <MonitoringView metrics={monitoring ? { metrics: [], usage: monitoring.usage ?? [] } : null} error={error} />
    </div>
  );
}

/** The query logs (read as they come while the tab is open) and the query servers' own output. */
export function RagLogsView(props: { ctx: EasyMakerContext; ragId: string; ragName: string }): JSX.Element {
  const { ctx, ragId } = props;
  const trans = useTrans();
  const [output, setOutput] = React.useState<string | null>(null);
  const readOutput = () =>
    void ragsApi(ctx)
      .serverLogs(ragId, 500)
      .then(text => setOutput(text || trans.__('(no output)')))
      .catch(e => setOutput(errorText(e)));
  return (
    <div data-role="rag-logs" style={{ display: 'flex', flexDirection: 'column', gap: 8, minHeight: 300 }}>
      <PolledLogs key={ragId} fetch={after => ragsApi(ctx).logs(ragId, after)} isFinal={() => false} filename={`${props.ragName}.log`} />
      <details className="jp-EasyMaker-section" data-role="server-output" onToggle={e => (e.currentTarget as HTMLDetailsElement).open && output === null && readOutput()}>
        <summary className="jp-EasyMaker-groupTitle">{trans.__('Query server output')}</summary>
        <button type="button" className="jp-EasyMaker-button" data-action="refresh-server-output" onClick={readOutput}>
          {trans.__('Refresh')}
        </button>
        <pre className="jp-EasyMaker-serverLogs">{output ?? trans.__('Loading…')}</pre>
      </details>
    </div>
  );
}
