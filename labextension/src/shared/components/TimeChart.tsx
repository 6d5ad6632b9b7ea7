/**
 * A line chart (uPlot: small, fast, MIT). X is time (unix seconds) or step.
 * Axis and grid colours come from JupyterLab's CSS variables, so the chart
 * follows the light and dark themes.
 */
import * as React from 'react';
import uPlot from 'uplot';

export interface IChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
}

export interface ITimeChartProps {
  title: string;
  x: number[];
  /** `time`: x in unix seconds; `step`: plain numbers. */
  xKind: 'time' | 'step';
  series: IChartSeries[];
  height?: number;
  /** Tick and legend format of y values. */
  format?: (value: number) => string;
  /** y scale range, e.g. [0, 100] for percentages. */
  yRange?: [number, number];
  /** Start the y axis at 0 (usage charts). */
  fromZero?: boolean;
  /** Mark every value with a dot (sparse series: one busy minute among empty ones). */
  points?: boolean;
}

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value || fallback;
}

export function TimeChart(props: ITimeChartProps): JSX.Element {
  const host = React.useRef<HTMLDivElement>(null);
  const plot = React.useRef<uPlot | null>(null);
  const shape = `${props.xKind}|${props.series.map(s => s.label).join('|')}|${props.yRange ?? ''}|${props.fromZero ?? ''}|${props.points ?? ''}`;
  const data: uPlot.AlignedData = [props.x, ...props.series.map(s => s.values)] as uPlot.AlignedData;

  React.useEffect(() => {
    const node = host.current;
    if (!node) {
      return;
    }
    const axisColor = cssVar('--jp-ui-font-color2', '#888');
    const gridColor = cssVar('--jp-border-color2', '#ddd');
    const fmt = props.format ?? ((v: number) => String(Number(v.toPrecision(4))));
    const axis: uPlot.Axis = {
      stroke: axisColor,
      grid: { stroke: gridColor, width: 1 },
      ticks: { stroke: gridColor, width: 1 }
    };
    // steps are whole numbers: no ticks between them
    const xAxis: uPlot.Axis =
      props.xKind === 'step' ? { ...axis, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 1000000] } : axis;
    const options: uPlot.Options = {
      width: Math.max(200, node.clientWidth),
      height: props.height ?? 180,
      scales: {
        x: { time: props.xKind === 'time' },
        ...(props.yRange
          ? { y: { range: props.yRange } }
          : props.fromZero
            ? { y: { range: (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax => [0, max > 0 ? max * 1.15 : 1] } }
            : {})
      },
      axes: [xAxis, { ...axis, size: 60, values: (_u, ticks) => ticks.map(t => fmt(t)) }],
      series: [
        { label: props.xKind === 'time' ? 'time' : 'step' },
        ...props.series.map(s => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          spanGaps: true,
          ...(props.points ? { points: { show: true, size: 5 } } : {}),
          value: (_u: uPlot, v: number | null) => (v === null || v === undefined ? '-' : fmt(v))
        }))
      ],
      legend: { show: true },
      cursor: { drag: { x: true, y: false } }
    };
    plot.current = new uPlot(options, data, node);
    const observer = new ResizeObserver(() => {
      if (plot.current && node.clientWidth > 0) {
        plot.current.setSize({ width: node.clientWidth, height: props.height ?? 180 });
      }
    });
    observer.observe(node);
    return () => {
      observer.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [shape]);

  React.useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  return (
    <div className="jp-EasyMaker-chart" data-chart={props.title}>
      <div className="jp-EasyMaker-chartTitle">{props.title}</div>
      <div ref={host} className="jp-EasyMaker-chartBody" />
    </div>
  );
}

/** Chart colours that read well on light and dark backgrounds. */
export const CHART_COLORS = ['#1e88e5', '#e53935', '#43a047', '#fb8c00', '#8e24aa', '#00897b', '#6d4c41', '#3949ab'];
