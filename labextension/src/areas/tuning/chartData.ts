/**
 * Shapes a tuning's `GET .../metrics` answer into what its charts draw:
 * objective per finished trial with the running best, parallel-coordinates
 * axes (linear, log or categorical) and intermediate values per trial.
 * No DOM: unit-tested in test/tuningCharts.test.ts.
 */
import type { IParameterSpec, ITrial, ITrialSeries, ITuningMetrics } from './api';

export type Goal = 'minimize' | 'maximize';

/** `a` is better than `b` for the goal. */
export function better(a: number, b: number, goal: Goal): boolean {
  return goal === 'maximize' ? a > b : a < b;
}

export interface IObjectivePoint {
  trialId: string;
  number: number;
  value: number;
  status: string;
}

export interface IObjectiveData {
  points: IObjectivePoint[];
  /** Best objective so far after each point (same order as `points`). */
  best: number[];
  /** Trial number of the best so far after each point. */
  bestNumber: number[];
}

/** Finished trials with an objective, by trial number, and the best so far after each. */
export function objectiveData(trials: readonly ITrialSeries[], goal: Goal): IObjectiveData {
  const points = trials
    .filter(t => typeof t.objective_value === 'number' && Number.isFinite(t.objective_value))
    .map(t => ({ trialId: t.trial_id, number: t.number, value: t.objective_value as number, status: t.status }))
    .sort((a, b) => a.number - b.number);
  const best: number[] = [];
  const bestNumber: number[] = [];
  points.forEach((p, i) => {
    if (i === 0 || better(p.value, best[i - 1], goal)) {
      best.push(p.value);
      bestNumber.push(p.number);
    } else {
      best.push(best[i - 1]);
      bestNumber.push(bestNumber[i - 1]);
    }
  });
  return { points, best, bestNumber };
}

/** One axis: where a value lies between 0 (bottom) and 1 (top), and its ticks. */
export interface IAxis {
  name: string;
  kind: 'linear' | 'log' | 'categorical';
  /** Categorical: the values in the spec's order. */
  categories?: string[];
  min: number;
  max: number;
  position(value: unknown): number | null;
  ticks: { value: string; at: number }[];
}

/** Short text of a number for ticks and tooltips (4 significant digits). */
export function formatValue(value: unknown): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      return String(value);
    }
    const abs = Math.abs(value);
    if (abs !== 0 && (abs < 1e-3 || abs >= 1e5)) {
      return value.toExponential(2);
    }
    return String(Number(value.toPrecision(4)));
  }
  return value === null || value === undefined ? '-' : String(value);
}

function categoriesOf(spec: IParameterSpec | undefined, seen: unknown[]): string[] {
  const declared = spec?.values;
  const list = Array.isArray(declared) ? declared.map(String) : typeof declared === 'string' ? declared.split(',').map(s => s.trim()) : [];
  for (const v of seen) {
    if (v !== null && v !== undefined && !list.includes(String(v))) {
      list.push(String(v));
    }
  }
  return list;
}

/**
 * The axis of a parameter (or of the objective, with no spec): categorical
 * values evenly spaced; `log` parameters on a log10 scale; else linear over the
 * spec's range widened to the values seen.
 */
export function makeAxis(name: string, spec: IParameterSpec | undefined, values: unknown[]): IAxis {
  const categorical = spec?.type === 'categorical' || (!spec && values.some(v => typeof v !== 'number' && v !== null && v !== undefined));
  if (categorical) {
    const categories = categoriesOf(spec, values);
    const n = categories.length;
    const at = (i: number) => (n <= 1 ? 0.5 : i / (n - 1));
    return {
      name,
      kind: 'categorical',
      categories,
      min: 0,
      max: Math.max(0, n - 1),
      position: v => {
        const i = categories.indexOf(String(v));
        return i < 0 ? null : at(i);
      },
      ticks: categories.map((c, i) => ({ value: c, at: at(i) }))
    };
  }
  const numbers = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  let min = Math.min(...numbers, ...(typeof spec?.min === 'number' ? [spec.min] : []));
  let max = Math.max(...numbers, ...(typeof spec?.max === 'number' ? [spec.max] : []));
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    min = 0;
    max = 1;
  }
  const log = !!spec?.log && min > 0;
  const f = log ? Math.log10 : (v: number) => v;
  const lo = f(min);
  const hi = f(max);
  const span = hi - lo;
  const position = (v: unknown): number | null => {
    if (typeof v !== 'number' || !Number.isFinite(v) || (log && v <= 0)) {
      return null;
    }
    return span === 0 ? 0.5 : (f(v) - lo) / span;
  };
  let ticks: { value: string; at: number }[];
  if (span === 0) {
    ticks = [{ value: formatValue(min), at: 0.5 }];
  } else if (log) {
    // one tick per decade inside the range, plus the ends
    const decades: number[] = [];
    for (let e = Math.ceil(lo); e <= Math.floor(hi); e++) {
      decades.push(10 ** e);
    }
    const all = [min, ...decades.filter(d => d > min * 1.0001 && d < max / 1.0001), max];
    ticks = all.map(v => ({ value: formatValue(v), at: position(v) as number }));
  } else {
    ticks = [0, 0.25, 0.5, 0.75, 1].map(at => ({ value: formatValue(min + at * (max - min)), at }));
  }
  return { name, kind: log ? 'log' : 'linear', min, max, position, ticks };
}

export interface IParallelLine {
  trialId: string;
  number: number;
  status: string;
  objective: number | null;
  /** Per axis (parameters, then the objective): 0..1, null when the trial has no value there. */
  positions: (number | null)[];
  /** 0 (worst) .. 1 (best) for colouring; null without an objective. */
  quality: number | null;
  best: boolean;
}

export interface IParallelData {
  axes: IAxis[];
  lines: IParallelLine[];
}

/** Axes: each searched parameter, then the objective. Lines: every trial that has parameters. */
export function parallelData(metrics: ITuningMetrics): IParallelData {
  const goal = metrics.goal;
  const trials = metrics.trials.filter(t => t.parameters && Object.keys(t.parameters).length);
  const names = metrics.parameters.length ? metrics.parameters.map(p => p.name) : [...new Set(trials.flatMap(t => Object.keys(t.parameters)))];
  const axes = names.map(name =>
    makeAxis(
      name,
      metrics.parameters.find(p => p.name === name),
      trials.map(t => t.parameters[name])
    )
  );
  const objectives = trials.map(t => (typeof t.objective_value === 'number' && Number.isFinite(t.objective_value) ? t.objective_value : null));
  const objAxis = makeAxis(metrics.objective_metric, undefined, objectives.filter((v): v is number => v !== null));
  axes.push(objAxis);
  const bestId = metrics.best_trial_id ?? null;
  const lines = trials.map((t, i) => {
    const objective = objectives[i];
    const at = objective === null ? null : objAxis.position(objective);
    return {
      trialId: t.trial_id,
      number: t.number,
      status: t.status,
      objective,
      positions: [...names.map((n, k) => axes[k].position(t.parameters[n])), at],
      quality: at === null ? null : goal === 'maximize' ? at : 1 - at,
      best: t.trial_id === bestId
    };
  });
  // the best last, so that it is drawn on top
  lines.sort((a, b) => Number(a.best) - Number(b.best) || (a.quality ?? -1) - (b.quality ?? -1));
  return { axes, lines };
}

/** Intermediate objective values per trial on one step axis (uPlot's aligned data). */
export function intermediateData(trials: readonly ITrialSeries[]): { x: number[]; series: { trial: ITrialSeries; values: (number | null)[] }[] } {
  const withValues = trials.filter(t => t.steps.length > 0);
  const x = [...new Set(withValues.flatMap(t => t.steps))].sort((a, b) => a - b);
  const index = new Map(x.map((s, i) => [s, i]));
  const series = withValues.map(trial => {
    const values: (number | null)[] = new Array(x.length).fill(null);
    trial.steps.forEach((s, i) => {
      values[index.get(s) as number] = trial.values[i];
    });
    return { trial, values };
  });
  return { x, series };
}

export type TrialSortKey = 'number' | 'objective' | 'status' | 'elapsed';

/** Trials sorted for the table; trials without the sort value go last either way. */
export function sortTrials(trials: readonly ITrial[], key: TrialSortKey, descending: boolean): ITrial[] {
  const value = (t: ITrial): number | string | null => {
    switch (key) {
      case 'number':
        return t.number;
      case 'objective':
        return typeof t.objective_value === 'number' ? t.objective_value : null;
      case 'elapsed':
        return typeof t.elapsed_seconds === 'number' ? t.elapsed_seconds : null;
      default:
        return t.status;
    }
  };
  return [...trials].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va === null || vb === null) {
      return va === null && vb === null ? a.number - b.number : va === null ? 1 : -1;
    }
    const c = va < vb ? -1 : va > vb ? 1 : a.number - b.number;
    return descending ? -c : c;
  });
}
