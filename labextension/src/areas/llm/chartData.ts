/** The loss chart's data: series of the metrics route on one step axis (no DOM, unit-tested). */
import type { IMetricSeries, IMetrics } from '../../shared/api/types';

export interface IAligned {
  x: number[];
  series: { name: string; values: (number | null)[] }[];
}

/** The named series on the union of their steps (null where a series has no point). */
export function alignSeries(metrics: IMetrics | null, names: readonly string[]): IAligned {
  const found = names.map(n => (metrics?.metrics ?? []).find(m => m.name === n)).filter((m): m is IMetricSeries => !!m);
  const steps = [...new Set(found.flatMap(m => m.steps))].sort((a, b) => a - b);
  const index = new Map(steps.map((s, i) => [s, i]));
  return {
    x: steps,
    series: found.map(m => {
      const values: (number | null)[] = steps.map(() => null);
      m.steps.forEach((s, i) => {
        const v = m.values[i];
        values[index.get(s)!] = typeof v === 'number' && Number.isFinite(v) ? v : null;
      });
      return { name: m.name, values };
    })
  };
}

/** A point of the live progress the event feed or the model's record brings, added to the series (until the metrics are re-read). */
export function withPoint(metrics: IMetrics | null, step: number | null | undefined, values: { [name: string]: number | null | undefined }): IMetrics | null {
  if (typeof step !== 'number') {
    return metrics;
  }
  const base: IMetrics = metrics ?? { metrics: [], usage: [] };
  let changed = false;
  const series = base.metrics.map(m => ({ ...m }));
  for (const [name, value] of Object.entries(values)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      continue;
    }
    let s = series.find(m => m.name === name);
    if (!s) {
      s = { name, steps: [], values: [] };
      series.push(s);
    }
    if (s.steps.length && s.steps[s.steps.length - 1] >= step) {
      continue;
    }
    s.steps = [...s.steps, step];
    s.values = [...s.values, value];
    s.last = value;
    changed = true;
  }
  return changed ? { ...base, metrics: series } : metrics;
}
