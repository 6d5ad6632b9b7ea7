/**
 * The charts of a tuning: objective over trials (each finished trial and the
 * running best), parallel coordinates of parameters vs objective, and the
 * intermediate objective values of each trial. The first two are SVG (few
 * hundred marks, hover and click per mark); the last is a uPlot line chart.
 * Colours come from JupyterLab's CSS variables where they follow the theme.
 */
import * as React from 'react';

import { CHART_COLORS, TimeChart } from '../../shared/components/TimeChart';
import { useTrans } from '../../shared/i18n/react';
import type { ITuningMetrics } from './api';
import { IAxis, IObjectiveData, formatValue, intermediateData, makeAxis, parallelData } from './chartData';

/** The width of a container, following resizes. */
function useWidth(): [React.RefObject<HTMLDivElement>, number] {
  const ref = React.useRef<HTMLDivElement>(null);
  const [width, setWidth] = React.useState(0);
  React.useEffect(() => {
    const node = ref.current;
    if (!node) {
      return;
    }
    setWidth(node.clientWidth);
    const observer = new ResizeObserver(() => node.clientWidth > 0 && setWidth(node.clientWidth));
    observer.observe(node);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

/** Poor (light) to good (strong) blue; the best trial is drawn in the accent colour. */
function qualityColor(q: number | null): string {
  if (q === null) {
    return 'var(--jp-border-color1, #999)';
  }
  const mix = (a: number, b: number) => Math.round(a + (b - a) * q);
  return `rgb(${mix(158, 8)}, ${mix(202, 81)}, ${mix(225, 156)})`;
}

const BEST_COLOR = '#e6550d';

export interface IObjectiveChartProps {
  data: IObjectiveData;
  metric: string;
  goal: 'minimize' | 'maximize';
  target?: number | null;
  bestId?: string | null;
  selectedId?: string | null;
  onSelect(trialId: string): void;
}

export function ObjectiveChart(props: IObjectiveChartProps): JSX.Element {
  const trans = useTrans();
  const [ref, width] = useWidth();
  const [logScale, setLogScale] = React.useState(false);
  const { points, best } = props.data;
  const values = points.map(p => p.value);
  if (typeof props.target === 'number') {
    values.push(props.target);
  }
  const canLog = values.length > 0 && values.every(v => v > 0);
  const useLog = logScale && canLog;
  const y = makeAxis(props.metric, useLog ? { name: props.metric, type: 'double', log: true } : undefined, values);
  const height = 260;
  const m = { left: 64, right: 16, top: 12, bottom: 34 };
  const w = Math.max(0, width - m.left - m.right);
  const h = height - m.top - m.bottom;
  const numbers = points.map(p => p.number);
  const x0 = numbers.length ? Math.min(...numbers) - 0.5 : 0;
  const x1 = numbers.length ? Math.max(...numbers) + 0.5 : 1;
  const px = (n: number) => m.left + ((n - x0) / (x1 - x0)) * w;
  const py = (v: number) => m.top + (1 - (y.position(v) ?? 0.5)) * h;
  const span = x1 - x0;
  const stepX = span <= 12 ? 1 : span <= 30 ? 2 : span <= 60 ? 5 : span <= 150 ? 10 : span <= 300 ? 25 : 100;
  const xTicks: number[] = [];
  for (let n = Math.ceil(x0 / stepX) * stepX; n <= x1; n += stepX) {
    xTicks.push(n);
  }
  // the running best as a step line: flat until a trial improves it
  let bestPath = '';
  points.forEach((p, i) => {
    bestPath += i === 0 ? `M${px(p.number)},${py(best[0])}` : `H${px(p.number)}V${py(best[i])}`;
  });
  if (points.length) {
    bestPath += `H${px(x1)}`;
  }
  return (
    <div className="jp-EasyMaker-chart jp-EasyMaker-tuningChart" data-chart="objective">
      <div className="jp-EasyMaker-chartTitle">
        {trans.__('Objective over trials')} ({props.metric}, {props.goal})
        {canLog ? (
          <label className="jp-EasyMaker-chartOption">
            <input type="checkbox" checked={useLog} onChange={e => setLogScale(e.target.checked)} /> {trans.__('Log scale')}
          </label>
        ) : null}
      </div>
      <div ref={ref} className="jp-EasyMaker-chartBody">
        {points.length === 0 ? (
          <div className="jp-EasyMaker-empty">{trans.__('No trial has reported its objective yet.')}</div>
        ) : width > 0 ? (
          <svg width={width} height={height} className="jp-EasyMaker-svgChart" role="img" aria-label={trans.__('Objective over trials')}>
            {y.ticks.map(t => (
              <g key={`y${t.at}`} className="jp-EasyMaker-gridLine">
                <line x1={m.left} x2={m.left + w} y1={m.top + (1 - t.at) * h} y2={m.top + (1 - t.at) * h} />
                <text x={m.left - 6} y={m.top + (1 - t.at) * h} textAnchor="end" dominantBaseline="middle">
                  {t.value}
                </text>
              </g>
            ))}
            {xTicks.map(n => (
              <g key={`x${n}`} className="jp-EasyMaker-gridLine">
                <text x={px(n)} y={m.top + h + 14} textAnchor="middle">
                  {n}
                </text>
              </g>
            ))}
            <text className="jp-EasyMaker-axisLabel" x={m.left + w / 2} y={height - 4} textAnchor="middle">
              {trans.__('Trial')}
            </text>
            {typeof props.target === 'number' ? (
              <g data-role="target">
                <line className="jp-EasyMaker-targetLine" x1={m.left} x2={m.left + w} y1={py(props.target)} y2={py(props.target)} />
                <text className="jp-EasyMaker-axisLabel" x={m.left + w - 4} y={py(props.target) - 4} textAnchor="end">
                  {trans.__('target %1', formatValue(props.target))}
                </text>
              </g>
            ) : null}
            <path data-role="running-best" d={bestPath} fill="none" stroke={BEST_COLOR} strokeWidth={2} />
            {points.map(p => {
              const isBest = p.trialId === props.bestId;
              const selected = p.trialId === props.selectedId;
              return (
                <circle
                  key={p.trialId}
                  data-role="objective-point"
                  data-trial={p.number}
                  data-best={isBest ? 'true' : undefined}
                  className={'jp-EasyMaker-point' + (isBest ? ' jp-mod-best' : '') + (selected ? ' jp-mod-selected' : '')}
                  cx={px(p.number)}
                  cy={py(p.value)}
                  r={isBest ? 6 : 4}
                  fill={isBest ? BEST_COLOR : CHART_COLORS[0]}
                  onClick={() => props.onSelect(p.trialId)}
                >
                  <title>{`trial-${p.number} (${p.status}): ${props.metric} = ${formatValue(p.value)}`}</title>
                </circle>
              );
            })}
          </svg>
        ) : null}
      </div>
      <div className="jp-EasyMaker-chartLegend">
        <span>
          <span className="jp-EasyMaker-legendDot" style={{ background: CHART_COLORS[0] }} /> {trans.__('Trial objective')}
        </span>
        <span>
          <span className="jp-EasyMaker-legendLine" style={{ background: BEST_COLOR }} /> {trans.__('Best so far')}
        </span>
      </div>
    </div>
  );
}

export interface IParallelProps {
  metrics: ITuningMetrics;
  selectedId?: string | null;
  onSelect(trialId: string): void;
}

export function ParallelCoordinates(props: IParallelProps): JSX.Element {
  const trans = useTrans();
  const [ref, width] = useWidth();
  const [hover, setHover] = React.useState<string | null>(null);
  const { axes, lines } = React.useMemo(() => parallelData(props.metrics), [props.metrics]);
  const height = 320;
  const m = { left: 56, right: 64, top: 34, bottom: 16 };
  const w = Math.max(0, width - m.left - m.right);
  const h = height - m.top - m.bottom;
  const ax = (i: number) => m.left + (axes.length <= 1 ? w / 2 : (i * w) / (axes.length - 1));
  const ay = (at: number) => m.top + (1 - at) * h;
  const shown = hover ?? props.selectedId ?? null;
  const focused = lines.find(l => l.trialId === shown) ?? lines.find(l => l.best) ?? null;
  const pathOf = (positions: (number | null)[]) => {
    let d = '';
    let pen = false;
    positions.forEach((p, i) => {
      if (p === null) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${ax(i).toFixed(1)},${ay(p).toFixed(1)}`;
      pen = true;
    });
    return d;
  };
  const axisTitle = (a: IAxis, i: number) => (i === axes.length - 1 ? `${a.name} ★` : a.kind === 'log' ? `${a.name} (log)` : a.name);
  return (
    <div className="jp-EasyMaker-chart jp-EasyMaker-tuningChart" data-chart="parallel">
      <div className="jp-EasyMaker-chartTitle">{trans.__('Parameters vs objective')}</div>
      <div className="jp-EasyMaker-chartHover" data-role="parallel-focus">
        {focused
          ? [
              `trial-${focused.number}${focused.best ? ` (${trans.__('best')})` : ''}`,
              ...axes.slice(0, -1).map(a => `${a.name}=${formatValue(props.metrics.trials.find(t => t.trial_id === focused.trialId)?.parameters[a.name])}`),
              `${props.metrics.objective_metric}=${formatValue(focused.objective)}`
            ].join('  ·  ')
          : trans.__('Hover a line to see its trial; click it to open the trial.')}
      </div>
      <div ref={ref} className="jp-EasyMaker-chartBody">
        {lines.length === 0 ? (
          <div className="jp-EasyMaker-empty">{trans.__('No trials yet.')}</div>
        ) : width > 0 ? (
          <svg width={width} height={height} className="jp-EasyMaker-svgChart" role="img" aria-label={trans.__('Parameters vs objective')}>
            <g data-role="trial-lines" onMouseLeave={() => setHover(null)}>
              {lines.map(l => {
                const active = l.trialId === shown;
                return (
                  <path
                    key={l.trialId}
                    data-role="trial-line"
                    data-trial={l.number}
                    data-best={l.best ? 'true' : undefined}
                    className={'jp-EasyMaker-pcLine' + (l.best ? ' jp-mod-best' : '') + (active ? ' jp-mod-active' : '') + (l.objective === null ? ' jp-mod-noObjective' : '')}
                    d={pathOf(l.positions)}
                    fill="none"
                    stroke={l.best ? BEST_COLOR : qualityColor(l.quality)}
                    strokeWidth={l.best ? 3.5 : active ? 3 : 1.5}
                    onMouseEnter={() => setHover(l.trialId)}
                    onClick={() => props.onSelect(l.trialId)}
                  >
                    <title>{`trial-${l.number} (${l.status}): ${formatValue(l.objective)}`}</title>
                  </path>
                );
              })}
            </g>
            {axes.map((a, i) => (
              <g key={a.name + i} data-role="axis" data-axis={a.name} data-scale={a.kind} className="jp-EasyMaker-pcAxis">
                <line x1={ax(i)} x2={ax(i)} y1={m.top} y2={m.top + h} />
                <text className="jp-EasyMaker-axisTitle" x={ax(i)} y={m.top - 14} textAnchor="middle">
                  {axisTitle(a, i)}
                </text>
                {a.ticks.map(t => (
                  <g key={t.value + t.at}>
                    <line x1={ax(i) - 3} x2={ax(i)} y1={ay(t.at)} y2={ay(t.at)} />
                    <text x={ax(i) - 5} y={ay(t.at)} textAnchor="end" dominantBaseline="middle">
                      {t.value}
                    </text>
                  </g>
                ))}
              </g>
            ))}
          </svg>
        ) : null}
      </div>
    </div>
  );
}

/** Each trial's intermediate objective values by step (what early stopping compares). */
export function IntermediateChart(props: { metrics: ITuningMetrics }): JSX.Element | null {
  const trans = useTrans();
  const { x, series } = React.useMemo(() => intermediateData(props.metrics.trials), [props.metrics]);
  if (!series.length) {
    return null;
  }
  const bestId = props.metrics.best_trial_id;
  return (
    <TimeChart
      title={trans.__('Intermediate values (%1 per step)', props.metrics.objective_metric)}
      xKind="step"
      x={x}
      height={220}
      series={series.map((s, i) => ({
        label: `trial-${s.trial.number}${s.trial.trial_id === bestId ? ' ★' : ''}`,
        values: s.values,
        color: s.trial.trial_id === bestId ? BEST_COLOR : CHART_COLORS[i % CHART_COLORS.length]
      }))}
    />
  );
}
