/** The metrics and monitoring tabs of a training. */
import * as React from 'react';

import type { IMetrics } from '../api/types';
import { CHART_COLORS, TimeChart } from '../components/TimeChart';
import { useTrans } from '../i18n/react';
import { formatNumber, parseTime } from '../state/format';

/** One chart per scraped metric (value per step) and a table of last values. */
export function MetricsView(props: { metrics: IMetrics | null; error: string | null }): JSX.Element {
  const trans = useTrans();
  const { metrics } = props;
  if (props.error) {
    return <div className="jp-EasyMaker-error">{props.error}</div>;
  }
  if (!metrics) {
    return <div className="jp-EasyMaker-empty">{trans.__('Loading…')}</div>;
  }
  if (!metrics.metrics.length) {
    return (
      <div className="jp-EasyMaker-empty" data-role="no-metrics">
        {trans.__('No metrics yet. Lines such as "loss=0.25 accuracy=0.91" on the job\'s output become metrics.')}
      </div>
    );
  }
  return (
    <div className="jp-EasyMaker-charts" data-role="metrics">
      <table className="jp-EasyMaker-details">
        <thead>
          <tr>
            <th>{trans.__('Metric')}</th>
            <th>{trans.__('Last value')}</th>
            <th>{trans.__('Steps')}</th>
          </tr>
        </thead>
        <tbody>
          {metrics.metrics.map(m => (
            <tr key={m.name} data-metric={m.name}>
              <td>{m.name}</td>
              <td>{formatNumber(m.last ?? m.values[m.values.length - 1])}</td>
              <td>{m.steps.length}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="jp-EasyMaker-chartGrid">
        {metrics.metrics.map((m, i) => (
          <TimeChart
            key={m.name}
            title={m.name}
            xKind="step"
            x={m.steps}
            series={[{ label: m.name, values: m.values, color: CHART_COLORS[i % CHART_COLORS.length] }]}
          />
        ))}
      </div>
    </div>
  );
}

/** CPU, memory and GPU of the job over time. */
export function MonitoringView(props: { metrics: IMetrics | null; error: string | null }): JSX.Element {
  const trans = useTrans();
  const { metrics } = props;
  if (props.error) {
    return <div className="jp-EasyMaker-error">{props.error}</div>;
  }
  if (!metrics) {
    return <div className="jp-EasyMaker-empty">{trans.__('Loading…')}</div>;
  }
  const usage = metrics.usage ?? [];
  if (!usage.length) {
    return <div className="jp-EasyMaker-empty" data-role="no-usage">{trans.__('No resource samples yet.')}</div>;
  }
  const x = usage.map(u => (parseTime(u.time) ?? 0) / 1000);
  const col = (key: string, scale = 1) => usage.map(u => (typeof u[key] === 'number' ? (u[key] as number) / scale : null));
  const MiB = 1024 * 1024;
  const hasGpu = usage.some(u => typeof u.gpu_percent === 'number' || typeof u.gpu_memory_bytes === 'number');
  return (
    <div className="jp-EasyMaker-chartGrid" data-role="monitoring">
      <TimeChart title={trans.__('CPU (%)')} xKind="time" x={x} fromZero series={[{ label: 'CPU %', values: col('cpu_percent'), color: CHART_COLORS[0] }]} format={v => `${formatNumber(v)}%`} />
      <TimeChart title={trans.__('Memory (MiB)')} xKind="time" x={x} fromZero series={[{ label: 'MiB', values: col('memory_bytes', MiB), color: CHART_COLORS[2] }]} format={formatNumber} />
      {hasGpu ? (
        <>
          <TimeChart title={trans.__('GPU (%)')} xKind="time" x={x} fromZero series={[{ label: 'GPU %', values: col('gpu_percent'), color: CHART_COLORS[1] }]} format={v => `${formatNumber(v)}%`} />
          <TimeChart title={trans.__('GPU memory (MiB)')} xKind="time" x={x} fromZero series={[{ label: 'MiB', values: col('gpu_memory_bytes', MiB), color: CHART_COLORS[3] }]} format={formatNumber} />
        </>
      ) : (
        <div className="jp-EasyMaker-help">{trans.__('No GPU was given to this job.')}</div>
      )}
    </div>
  );
}
