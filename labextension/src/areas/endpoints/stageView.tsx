/**
 * One stage: its resources (models and their pods), API statistics charts,
 * CPU and memory of the pods, the inference log tail and a "Try it" box.
 * Statistics, monitoring and logs are re-read every few seconds while the
 * panel is seen, never while it is hidden.
 */
import * as React from 'react';

import { askName } from '../../shared/components/dialogs';
import { StatusBadge } from '../../shared/components/StatusBadge';
import { CHART_COLORS, TimeChart } from '../../shared/components/TimeChart';
import type { EasyMakerContext } from '../../shared/context';
import { useTrans } from '../../shared/i18n/react';
import { StatusHistory } from '../../shared/panels/cells';
import { DetailTable, notifyError } from '../../shared/panels/base';
import { formatNumber, formatTime } from '../../shared/state/format';
import { errorText } from '../../shared/state/listModel';
import { isSettled } from '../../shared/status';
import type { IInferenceLog, IStage, IStageGateway, IStageMonitoring, IStageResource, IStageStats } from './api';
import { endpointsApi } from './api';
import { CopyButton, UrlWithCopy, usePolling } from './parts';
import {
  STATS_RANGES,
  StatsRange,
  allocationText,
  appendLogs,
  autoscalerText,
  formatLatency,
  monitoringSeries,
  type IUsageSeries,
  statsQuery,
  statsSeries,
  statsTotals
} from './stats';
import { TryIt } from './tryIt';

/** Seconds between re-reads of the charts and the log tail while seen. */
export const STATS_REFRESH_MS = 5000;
const MONITORING_REFRESH_MS = 10000;

export interface IStageViewProps {
  ctx: EasyMakerContext;
  endpointId: string;
  stage: IStage;
  /** The panel is seen (its tab is current and the browser tab in front). */
  visible: boolean;
  /** Bumped on every re-read of the endpoint (a stage or resource changed). */
  version: number;
  range: StatsRange;
  onRange(range: StatsRange): void;
  onAddResource(): void;
  onDeleteResource(resource: IStageResource): void;
}

export function StageView(props: IStageViewProps): JSX.Element {
  const { stage } = props;
  const trans = useTrans();
  return (
    <div className="jp-EasyMaker-stageView" data-stage={stage.name} data-status={stage.status}>
      <StageSummary {...props} />
      <ResourcesTable {...props} />
      <GatewaySection {...props} />
      <StatsSection {...props} />
      <MonitoringSection {...props} />
      <TryIt {...props} />
      <InferenceLogs {...props} />
      <details className="jp-EasyMaker-section">
        <summary className="jp-EasyMaker-groupTitle">{trans.__('Stage status history')}</summary>
        <StageHistory {...props} />
      </details>
    </div>
  );
}

function StageSummary(props: IStageViewProps): JSX.Element {
  const { ctx, stage, endpointId } = props;
  const trans = useTrans();
  /** The stage's description is the one field of a stage that may change: asked for, saved, shown by the change feed. */
  const describe = async () => {
    const description = await askName(trans.__('Edit description'), trans.__('Stage description'), stage.description ?? '', trans);
    if (description === null) {
      return;
    }
    try {
      await endpointsApi(ctx).updateStage(endpointId, stage.name, { description });
    } catch (error) {
      notifyError(trans, trans.__('Edit description'), error);
    }
  };
  return (
    <div className="jp-EasyMaker-stageSummary">
      <span>
        <StatusBadge status={stage.status} title={stage.status_reason} />
        {stage.is_default ? <span className="jp-EasyMaker-defaultMark">{trans.__('default')}</span> : null}
      </span>
      <span title={trans.__('API Gateway status')}>
        {trans.__('Gateway')}: <StatusBadge status={stage.gateway_status} />
      </span>
      <span>
        {trans.__('Instances')}: {stage.instance_type} × {stage.instance_count}
      </span>
      <span>
        {trans.__('Pods')}: {stage.pods_ready}/{stage.pods_total}
      </span>
      <span className="jp-EasyMaker-spacer" />
      <UrlWithCopy url={stage.url} />
      {stage.gateway_url ? <UrlWithCopy url={stage.gateway_url} /> : null}
      <button type="button" className="jp-EasyMaker-button" data-action="stage-describe" onClick={() => void describe()}>
        {trans.__('Edit description')}
      </button>
      {stage.description ? <div className="jp-EasyMaker-help" data-role="stage-description">{stage.description}</div> : null}
      {stage.status_reason ? <div className="jp-EasyMaker-help">{stage.status_reason}</div> : null}
    </div>
  );
}

function ResourcesTable(props: IStageViewProps): JSX.Element {
  const { ctx, stage, endpointId } = props;
  const trans = useTrans();
  const [logsOf, setLogsOf] = React.useState<string | null>(null);
  const [serverLogs, setServerLogs] = React.useState<string>('');
  const busy = !isSettled('endpoint stage', stage.status);
  React.useEffect(() => {
    if (!logsOf) {
      return;
    }
    let gone = false;
    endpointsApi(ctx)
      .resourceLogs(endpointId, stage.name, logsOf, 200)
      .then(text => !gone && setServerLogs(text || trans.__('(no output)')))
      .catch(error => !gone && setServerLogs(errorText(error)));
    return () => {
      gone = true;
    };
  }, [logsOf, props.version]);
  return (
    <div className="jp-EasyMaker-section" data-role="resources">
      <div className="jp-EasyMaker-sectionHeader">
        <h3 className="jp-EasyMaker-groupTitle">{trans.__('Stage resources')}</h3>
        <button type="button" className="jp-EasyMaker-button" data-action="add-resource" disabled={busy} onClick={() => props.onAddResource()}>
          {trans.__('Add model')}
        </button>
      </div>
      <table className="jp-EasyMaker-details jp-EasyMaker-grid">
        <thead>
          <tr>
            <th>{trans.__('Model')}</th>
            <th>{trans.__('Status')}</th>
            <th>{trans.__('Framework')}</th>
            <th>{trans.__('Allocation per pod')}</th>
            <th>{trans.__('Pods')}</th>
            <th>{trans.__('Pod autoscaler')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {stage.resources.map(r => (
            <React.Fragment key={r.id}>
              <tr data-resource={r.model_name} data-status={r.status}>
                <td>
                  {r.model_name}
                  {r.description ? <div className="jp-EasyMaker-help">{r.description}</div> : null}
                </td>
                <td>
                  <StatusBadge status={r.status} title={r.status_reason} />
                </td>
                <td>{r.framework || '-'}</td>
                <td>{allocationText(r)}</td>
                <td data-role="pods">
                  {r.pods_ready}/{r.pods_total}
                </td>
                <td>{r.pod_autoscaler?.enabled ? autoscalerText(r) : trans.__('Off')}</td>
                <td className="jp-EasyMaker-rowActions">
                  <button type="button" className="jp-EasyMaker-button" data-action="server-logs" onClick={() => setLogsOf(logsOf === r.id ? null : r.id)}>
                    {logsOf === r.id ? trans.__('Hide server output') : trans.__('Server output')}
                  </button>
                  <button
                    type="button"
                    className="jp-EasyMaker-button jp-mod-warn"
                    data-action="delete-resource"
                    disabled={stage.resources.length <= 1 || r.status.endsWith('IN PROGRESS')}
                    title={stage.resources.length <= 1 ? trans.__("A stage's last model cannot be removed; delete the stage instead") : undefined}
                    onClick={() => props.onDeleteResource(r)}
                  >
                    {trans.__('Remove')}
                  </button>
                </td>
              </tr>
              <tr className="jp-EasyMaker-subRow" data-predict-url={r.model_name}>
                <td colSpan={7}>
                  <span className="jp-EasyMaker-help">{trans.__('Predict URL')}</span> <UrlWithCopy url={r.predict_url} />
                </td>
              </tr>
            </React.Fragment>
          ))}
        </tbody>
      </table>
      {logsOf ? (
        <pre className="jp-EasyMaker-serverLogs" data-role="server-logs">
          {serverLogs}
        </pre>
      ) : null}
    </div>
  );
}

function StatsSection(props: IStageViewProps): JSX.Element {
  const { ctx, stage, endpointId, range } = props;
  const trans = useTrans();
  const [stats, setStats] = React.useState<IStageStats | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  usePolling(
    async () => {
      try {
        setStats(await endpointsApi(ctx).statistics(endpointId, stage.name, statsQuery(range)));
        setError(null);
      } catch (e) {
        setError(errorText(e));
      }
    },
    STATS_REFRESH_MS,
    props.visible,
    [endpointId, stage.name, range]
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
    <div className="jp-EasyMaker-section" data-role="statistics">
      <div className="jp-EasyMaker-sectionHeader">
        <h3 className="jp-EasyMaker-groupTitle">{trans.__('API statistics')}</h3>
        <div className="jp-EasyMaker-rangePicker" role="group" aria-label={trans.__('Time range')}>
          {STATS_RANGES.map(r => (
            <button
              key={r.id}
              type="button"
              data-range={r.id}
              aria-pressed={range === r.id}
              className={'jp-EasyMaker-button' + (range === r.id ? ' jp-mod-active' : '')}
              onClick={() => props.onRange(r.id)}
            >
              {r.id}
            </button>
          ))}
        </div>
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

/** The stage's API gateway settings: what the gateway routes for it, where, and how callers authenticate. */
function GatewaySection(props: IStageViewProps): JSX.Element {
  const { ctx, stage, endpointId, version } = props;
  const trans = useTrans();
  const [gateway, setGateway] = React.useState<IStageGateway | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  React.useEffect(() => {
    let current = true;
    endpointsApi(ctx)
      .gateway(endpointId, stage.name)
      .then(g => current && (setGateway(g), setError(null)))
      .catch(e => current && setError(errorText(e)));
    return () => {
      current = false;
    };
  }, [endpointId, stage.name, stage.gateway_status, version]);
  const yes = (v: boolean | undefined) => (v ? trans.__('yes') : trans.__('no'));
  return (
    <details className="jp-EasyMaker-section" data-role="gateway">
      <summary className="jp-EasyMaker-groupTitle">{trans.__('API Gateway settings')}</summary>
      {error ? <div className="jp-EasyMaker-error" role="alert">{error}</div> : null}
      {gateway ? (
        <DetailTable
          rows={[
            [trans.__('Gateway status'), <StatusBadge status={gateway.gateway_status} />],
            [trans.__('Stage URL'), <UrlWithCopy url={gateway.url} />],
            [trans.__('Default stage URL'), gateway.default_stage_url ? <UrlWithCopy url={gateway.default_stage_url} /> : '-'],
            [trans.__('Authentication'), gateway.authentication],
            [
              trans.__('gRPC (Open Inference Protocol)'),
              gateway.grpc ? (
                <span data-role="grpc">
                  <code>{gateway.grpc.address}</code>{' '}
                  {Object.entries(gateway.grpc.metadata)
                    .map(([k, v]) => `${k}: ${v}`)
                    .join(', ')}
                </span>
              ) : (
                '-'
              )
            ],
            [trans.__('Routed'), yes(gateway.routable)],
            [trans.__('Default stage'), yes(gateway.default)],
            ...Object.entries(gateway.models ?? {}).map(
              ([model, servers]): [string, React.ReactNode] => [
                trans.__('Model %1', model),
                `${servers.join(', ') || '-'} (${trans.__('%1 in flight', gateway.in_flight?.[model] ?? 0)})`
              ]
            )
          ]}
        />
      ) : null}
    </details>
  );
}

function MonitoringSection(props: IStageViewProps): JSX.Element {
  const { ctx, stage, endpointId, range } = props;
  const trans = useTrans();
  const [monitoring, setMonitoring] = React.useState<IStageMonitoring | null>(null);
  usePolling(
    async () => {
      try {
        setMonitoring(await endpointsApi(ctx).monitoring(endpointId, stage.name, statsQuery(range).since));
      } catch {
        // the charts keep their last samples; the stage may be going away
      }
    },
    MONITORING_REFRESH_MS,
    props.visible,
    [endpointId, stage.name, range]
  );
  const series = monitoringSeries(monitoring);
  return (
    <div className="jp-EasyMaker-section" data-role="monitoring">
      <h3 className="jp-EasyMaker-groupTitle">{trans.__('Monitoring')}</h3>
      {series.every(s => !s.x.length) ? (
        <div className="jp-EasyMaker-empty">{trans.__('No resource samples yet.')}</div>
      ) : (
        <div className="jp-EasyMaker-chartGrid">
          <TimeChart
            title={trans.__('CPU (%)')}
            xKind="time"
            x={series[0]?.x ?? []}
            fromZero
            format={v => `${formatNumber(v)}%`}
            series={series.slice(0, 1).map(s => ({ label: s.model, values: s.cpu, color: CHART_COLORS[0] }))}
          />
          <TimeChart
            title={trans.__('Memory (MiB)')}
            xKind="time"
            x={series[0]?.x ?? []}
            fromZero
            format={v => formatNumber(v)}
            series={series.slice(0, 1).map(s => ({ label: s.model, values: s.memory, color: CHART_COLORS[2] }))}
          />
          {series[0]?.hasGpu ? <GpuCharts series={series[0]} colors={[1, 3]} /> : null}
          {series.slice(1).map((s, i) => (
            <React.Fragment key={s.resourceId}>
              <TimeChart title={`${s.model} · ${trans.__('CPU (%)')}`} xKind="time" x={s.x} fromZero format={v => `${formatNumber(v)}%`} series={[{ label: s.model, values: s.cpu, color: CHART_COLORS[(i + 3) % CHART_COLORS.length] }]} />
              <TimeChart title={`${s.model} · ${trans.__('Memory (MiB)')}`} xKind="time" x={s.x} fromZero format={v => formatNumber(v)} series={[{ label: s.model, values: s.memory, color: CHART_COLORS[(i + 4) % CHART_COLORS.length] }]} />
              {s.hasGpu ? <GpuCharts series={s} colors={[i + 5, i + 6]} titled /> : null}
            </React.Fragment>
          ))}
        </div>
      )}
    </div>
  );
}

/** GPU utilisation (%) and GPU memory (MiB) of a resource's pods, shown only for pods that have GPUs. */
function GpuCharts(props: { series: IUsageSeries; colors: [number, number]; titled?: boolean }): JSX.Element {
  const { series: s, colors, titled } = props;
  const trans = useTrans();
  const title = (label: string): string => (titled ? `${s.model} · ${label}` : label);
  const color = (i: number): string => CHART_COLORS[i % CHART_COLORS.length];
  return (
    <>
      <TimeChart title={title(trans.__('GPU (%)'))} xKind="time" x={s.x} fromZero format={v => `${formatNumber(v)}%`} series={[{ label: s.model, values: s.gpu, color: color(colors[0]) }]} />
      <TimeChart title={title(trans.__('GPU memory (MiB)'))} xKind="time" x={s.x} fromZero format={v => formatNumber(v)} series={[{ label: s.model, values: s.gpuMemory, color: color(colors[1]) }]} />
    </>
  );
}

/** The newest inference log records, read incrementally (`after=`). */
function InferenceLogs(props: IStageViewProps): JSX.Element {
  const { ctx, stage, endpointId } = props;
  const trans = useTrans();
  const [records, setRecords] = React.useState<IInferenceLog[]>([]);
  const after = React.useRef(0);
  React.useEffect(() => {
    setRecords([]);
    after.current = 0;
  }, [endpointId, stage.name]);
  usePolling(
    async () => {
      try {
        const page = await endpointsApi(ctx).logs(endpointId, stage.name, { after: after.current, limit: 500 });
        after.current = page.next_after;
        if (page.records.length) {
          setRecords(tail => appendLogs(tail, page.records));
        }
      } catch {
        // the next round tries again
      }
    },
    STATS_REFRESH_MS,
    props.visible,
    [endpointId, stage.name]
  );
  const newest = records.slice().reverse();
  return (
    <details className="jp-EasyMaker-section" data-role="inference-logs" open>
      <summary className="jp-EasyMaker-groupTitle">
        {trans.__('Inference logs')} ({records.length})
      </summary>
      {newest.length ? (
        <div className="jp-EasyMaker-inferenceLogs">
          <table className="jp-EasyMaker-details jp-EasyMaker-grid">
            <thead>
              <tr>
                <th>{trans.__('Time')}</th>
                <th>{trans.__('Status')}</th>
                <th>{trans.__('Latency')}</th>
                <th>{trans.__('Model')}</th>
                <th>{trans.__('Request')}</th>
                <th>X-Inference-Id</th>
              </tr>
            </thead>
            <tbody>
              {newest.map(r => (
                <tr key={r.id} data-log-status={r.status} className={r.status >= 400 ? 'jp-mod-failed' : ''}>
                  <td>{formatTime(r.time)}</td>
                  <td>{r.status}</td>
                  <td>{formatLatency(r.latencyMs)}</td>
                  <td>{r.modelName}</td>
                  <td>
                    <code>{r.body}</code>
                  </td>
                  <td>
                    <code title={r.inferenceId}>{r.inferenceId.slice(0, 8)}</code>
                    <CopyButton text={r.inferenceId} role="copy-inference-id" />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <div className="jp-EasyMaker-empty">{trans.__('No inference requests yet.')}</div>
      )}
    </details>
  );
}

function StageHistory(props: IStageViewProps): JSX.Element {
  const { ctx, stage, endpointId } = props;
  const [full, setFull] = React.useState<IStage | null>(null);
  React.useEffect(() => {
    let gone = false;
    endpointsApi(ctx)
      .stage(endpointId, stage.name)
      .then(s => !gone && setFull(s))
      .catch(() => undefined);
    return () => {
      gone = true;
    };
  }, [endpointId, stage.name, props.version]);
  return <StatusHistory history={full?.history} />;
}
