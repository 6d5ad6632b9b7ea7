/**
 * Shapes the model-evaluation results (runtime/evaluation.py) for the
 * charts: metric names and goals, ROC / PR / threshold series, regression
 * plots. No DOM: unit-tested.
 */
import { N_ } from '../../shared/i18n';

export const CLASSIFICATION_METRICS = ['pr_auc', 'roc_auc', 'log_loss', 'f1', 'precision', 'recall', 'accuracy'] as const;
export const REGRESSION_METRICS = ['mae', 'mape', 'r2', 'rmse', 'rmsle'] as const;

/** English label (msgid) per metric key. */
export const METRIC_LABELS: { [key: string]: string } = {
  pr_auc: N_('PR AUC'),
  roc_auc: N_('ROC AUC'),
  log_loss: N_('Log loss'),
  f1: N_('F1 score'),
  precision: N_('Precision'),
  recall: N_('Recall'),
  accuracy: N_('Accuracy'),
  mae: N_('MAE'),
  mape: N_('MAPE'),
  r2: N_('R2'),
  rmse: N_('RMSE'),
  rmsle: N_('RMSLE')
};

/** The metric shown in a table cell for an evaluation of this task. */
export function headlineMetric(task: string): string {
  return task === 'regression' ? 'rmse' : 'roc_auc';
}

export interface ICurve {
  /** A class name or `micro-average`. */
  name: string;
  /** AUC or average precision. */
  score: number | null;
  x: number[];
  y: number[];
}

type Raw = { [key: string]: unknown };

const nums = (v: unknown): number[] => (Array.isArray(v) ? v.map(x => (typeof x === 'number' ? x : NaN)) : []);

/** ROC curves: x = false positive rate, y = true positive rate. */
export function rocCurves(result: Raw): ICurve[] {
  const curves = ((result.curves as Raw | undefined)?.roc as Raw[] | undefined) ?? [];
  return curves.map(c => ({ name: String(c.class ?? ''), score: (c.auc as number | null) ?? null, x: nums(c.fpr), y: nums(c.tpr) }));
}

/** Precision-recall curves: x = recall, y = precision. */
export function prCurves(result: Raw): ICurve[] {
  const curves = ((result.curves as Raw | undefined)?.pr as Raw[] | undefined) ?? [];
  return curves.map(c => ({ name: String(c.class ?? ''), score: (c.average_precision as number | null) ?? null, x: nums(c.recall), y: nums(c.precision) }));
}

/** Precision and recall by decision threshold, per class. */
export function thresholdCurves(result: Raw): { name: string; thresholds: number[]; precision: number[]; recall: number[] }[] {
  const curves = ((result.curves as Raw | undefined)?.threshold as Raw[] | undefined) ?? [];
  return curves.map(c => ({ name: String(c.class ?? ''), thresholds: nums(c.thresholds), precision: nums(c.precision), recall: nums(c.recall) }));
}

export function confusionMatrix(result: Raw): { labels: string[]; matrix: number[][] } | null {
  const cm = result.confusion_matrix as Raw | undefined;
  if (!cm || !Array.isArray(cm.matrix)) {
    return null;
  }
  return { labels: (cm.labels as string[]) ?? [], matrix: cm.matrix as number[][] };
}

/** Regression: actual vs predicted points and the residual histogram. */
export function regressionPlots(result: Raw): { actual: number[]; predicted: number[]; edges: number[]; counts: number[] } | null {
  const plots = result.plots as Raw | undefined;
  if (!plots) {
    return null;
  }
  const scatter = (plots.scatter as Raw | undefined) ?? {};
  const residuals = (plots.residuals as Raw | undefined) ?? {};
  return { actual: nums(scatter.actual), predicted: nums(scatter.predicted), edges: nums(residuals.edges), counts: nums(residuals.counts) };
}

/** Index of the best value per the goal (the first on ties), or null when none is a number. */
export function bestIndex(values: (number | null | undefined)[], goal: 'maximize' | 'minimize'): number | null {
  let best: number | null = null;
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      return;
    }
    if (best === null || (goal === 'maximize' ? v > (values[best] as number) : v < (values[best] as number))) {
      best = i;
    }
  });
  return best;
}
