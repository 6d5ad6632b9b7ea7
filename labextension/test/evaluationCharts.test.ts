import { describe, expect, it } from 'vitest';

import { niceTicks, rowShares } from '../src/shared/state/chartScale';
import { bestIndex, confusionMatrix, headlineMetric, prCurves, regressionPlots, rocCurves, thresholdCurves } from '../src/areas/evaluations/chartData';

describe('chart scales', () => {
  it('puts ticks on round numbers covering the range', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 97, 5)).toEqual([0, 20, 40, 60, 80]);
    expect(niceTicks(-3.2, 4.9, 4)).toEqual([-2, 0, 2, 4]);
    expect(niceTicks(5, 5)).toEqual([5]);
    expect(niceTicks(1, 0, 5)).toEqual(niceTicks(0, 1, 5));
    expect(niceTicks(NaN, 1)).toEqual([]);
  });

  it('shades confusion-matrix cells by their share of the true class', () => {
    expect(rowShares([[3, 1], [0, 0]])).toEqual([[0.75, 0.25], [0, 0]]);
  });
});

describe('evaluation results for the charts', () => {
  // the shape runtime/evaluation.py writes
  const result = {
    confusion_matrix: { labels: ['a', 'b'], matrix: [[5, 1], [2, 7]] },
    curves: {
      roc: [{ class: 'b', auc: 0.9, fpr: [0, 0.5, 1], tpr: [0, 0.8, 1], thresholds: [2, 0.5, 0] }],
      pr: [{ class: 'b', average_precision: 0.85, precision: [0.5, 0.9, 1], recall: [1, 0.5, 0] }],
      threshold: [{ class: 'b', thresholds: [0.2, 0.6], precision: [0.6, 0.9], recall: [1, 0.4] }]
    }
  };

  it('reads ROC, PR and threshold curves with their scores', () => {
    expect(rocCurves(result)).toEqual([{ name: 'b', score: 0.9, x: [0, 0.5, 1], y: [0, 0.8, 1] }]);
    expect(prCurves(result)).toEqual([{ name: 'b', score: 0.85, x: [1, 0.5, 0], y: [0.5, 0.9, 1] }]);
    expect(thresholdCurves(result)[0].thresholds).toEqual([0.2, 0.6]);
    expect(confusionMatrix(result)).toEqual({ labels: ['a', 'b'], matrix: [[5, 1], [2, 7]] });
  });

  it('copes with results that lack a part', () => {
    expect(rocCurves({})).toEqual([]);
    expect(confusionMatrix({})).toBeNull();
    expect(regressionPlots({})).toBeNull();
    const plots = regressionPlots({ plots: { scatter: { actual: [1, 2], predicted: [1.5, 2] }, residuals: { edges: [0, 1, 2], counts: [3, 4] } } });
    expect(plots).toEqual({ actual: [1, 2], predicted: [1.5, 2], edges: [0, 1, 2], counts: [3, 4] });
  });

  it('picks the best value by the goal, the first on ties, skipping missing ones', () => {
    expect(bestIndex([0.7, null, 0.9, 0.9], 'maximize')).toBe(2);
    expect(bestIndex([0.7, null, 0.2, 0.2], 'minimize')).toBe(2);
    expect(bestIndex([null, undefined], 'maximize')).toBeNull();
    expect(headlineMetric('regression')).toBe('rmse');
    expect(headlineMetric('classification')).toBe('roc_auc');
  });
});
