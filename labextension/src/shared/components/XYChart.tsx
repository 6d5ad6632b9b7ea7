/**
 * An SVG chart of series over numeric x (ROC and precision-recall curves,
 * actual vs predicted, residual histograms). Curves have their own x
 * values each, which uPlot's aligned data does not fit; with at most a few
 * hundred points per series SVG is fast enough and themes through CSS.
 */
import * as React from 'react';

import { niceTicks } from '../state/chartScale';
import { CHART_COLORS } from './TimeChart';

export interface IXYSeries {
  label: string;
  x: (number | null)[];
  y: (number | null)[];
  color?: string;
  /** `line` (default), `points`, `bars` (x = left edges, one more edge than y). */
  kind?: 'line' | 'points' | 'bars';
  dashed?: boolean;
}

export interface IXYChartProps {
  title: string;
  series: IXYSeries[];
  xLabel?: string;
  yLabel?: string;
  /** Fixed ranges (e.g. [0, 1] for ROC); otherwise the data's. */
  xRange?: [number, number];
  yRange?: [number, number];
  /** Draw the y = x diagonal (ROC chance line, perfect predictions). */
  diagonal?: boolean;
  width?: number;
  height?: number;
}

const PAD = { left: 48, right: 12, top: 8, bottom: 36 };

function extent(values: (number | null)[], fallback: [number, number]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v !== null && Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (lo === Infinity) {
    return fallback;
  }
  if (lo === hi) {
    return [lo - 1, hi + 1];
  }
  return [lo, hi];
}

const fmt = (v: number) => String(Number(v.toPrecision(3)));

export function XYChart(props: IXYChartProps): JSX.Element {
  const width = props.width ?? 360;
  const height = props.height ?? 260;
  const allX = props.series.flatMap(s => s.x);
  const allY = props.series.flatMap(s => (s.kind === 'bars' ? [0, ...s.y] : s.y));
  let xr = props.xRange ?? extent(allX, [0, 1]);
  let yr = props.yRange ?? extent(allY, [0, 1]);
  if (props.diagonal && !props.xRange && !props.yRange) {
    const both = extent([...xr, ...yr], [0, 1]);
    xr = both;
    yr = both;
  }
  const xTicks = niceTicks(xr[0], xr[1], 5);
  const yTicks = niceTicks(yr[0], yr[1], 5);
  const w = width - PAD.left - PAD.right;
  const h = height - PAD.top - PAD.bottom;
  const sx = (v: number) => PAD.left + ((v - xr[0]) / (xr[1] - xr[0] || 1)) * w;
  const sy = (v: number) => PAD.top + h - ((v - yr[0]) / (yr[1] - yr[0] || 1)) * h;

  return (
    <figure className="jp-EasyMaker-chart jp-EasyMaker-xyChart" data-chart={props.title}>
      <figcaption className="jp-EasyMaker-chartTitle">{props.title}</figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} width="100%" role="img" aria-label={props.title} preserveAspectRatio="xMidYMid meet">
        <g className="jp-EasyMaker-chartGridLines">
          {xTicks.map(t => (
            <line key={`x${t}`} x1={sx(t)} x2={sx(t)} y1={PAD.top} y2={PAD.top + h} />
          ))}
          {yTicks.map(t => (
            <line key={`y${t}`} x1={PAD.left} x2={PAD.left + w} y1={sy(t)} y2={sy(t)} />
          ))}
        </g>
        <g className="jp-EasyMaker-chartAxis">
          {xTicks.map(t => (
            <text key={`xt${t}`} x={sx(t)} y={PAD.top + h + 14} textAnchor="middle">
              {fmt(t)}
            </text>
          ))}
          {yTicks.map(t => (
            <text key={`yt${t}`} x={PAD.left - 6} y={sy(t) + 4} textAnchor="end">
              {fmt(t)}
            </text>
          ))}
          {props.xLabel ? (
            <text x={PAD.left + w / 2} y={height - 4} textAnchor="middle" className="jp-EasyMaker-axisLabel">
              {props.xLabel}
            </text>
          ) : null}
          {props.yLabel ? (
            <text x={12} y={PAD.top + h / 2} textAnchor="middle" transform={`rotate(-90 12 ${PAD.top + h / 2})`} className="jp-EasyMaker-axisLabel">
              {props.yLabel}
            </text>
          ) : null}
        </g>
        {props.diagonal ? (
          <line className="jp-EasyMaker-chartDiagonal" x1={sx(Math.max(xr[0], yr[0]))} y1={sy(Math.max(xr[0], yr[0]))} x2={sx(Math.min(xr[1], yr[1]))} y2={sy(Math.min(xr[1], yr[1]))} />
        ) : null}
        {props.series.map((s, i) => {
          const color = s.color ?? CHART_COLORS[i % CHART_COLORS.length];
          if (s.kind === 'bars') {
            return (
              <g key={s.label} data-series={s.label} fill={color} opacity={0.8}>
                {s.y.map((v, j) => {
                  const x0 = s.x[j];
                  const x1 = s.x[j + 1];
                  if (v === null || x0 === null || x1 === null || x1 === undefined) {
                    return null;
                  }
                  return <rect key={j} x={sx(x0)} width={Math.max(1, sx(x1) - sx(x0) - 1)} y={sy(v)} height={Math.max(0, sy(0) - sy(v))} />;
                })}
              </g>
            );
          }
          const points: [number, number][] = [];
          s.x.forEach((x, j) => {
            const y = s.y[j];
            if (x !== null && y !== null && y !== undefined && Number.isFinite(x) && Number.isFinite(y)) {
              points.push([sx(x), sy(y)]);
            }
          });
          if (s.kind === 'points') {
            return (
              <g key={s.label} data-series={s.label} fill={color} opacity={0.7}>
                {points.map(([x, y], j) => (
                  <circle key={j} cx={x} cy={y} r={2.5} />
                ))}
              </g>
            );
          }
          return (
            <polyline
              key={s.label}
              data-series={s.label}
              fill="none"
              stroke={color}
              strokeWidth={2}
              strokeDasharray={s.dashed ? '5 4' : undefined}
              points={points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}
            />
          );
        })}
      </svg>
      {props.series.length > 1 ? (
        <div className="jp-EasyMaker-legend">
          {props.series.map((s, i) => (
            <span key={s.label} className="jp-EasyMaker-legendItem">
              <span className="jp-EasyMaker-legendSwatch" style={{ background: s.color ?? CHART_COLORS[i % CHART_COLORS.length] }} />
              {s.label}
            </span>
          ))}
        </div>
      ) : null}
    </figure>
  );
}
