/** The charts of one evaluation's results: curves and confusion matrix, or regression plots. */
import * as React from 'react';

import { ConfusionMatrix } from '../../shared/components/ConfusionMatrix';
import { XYChart } from '../../shared/components/XYChart';
import { useTrans } from '../../shared/i18n/react';
import { confusionMatrix, prCurves, regressionPlots, rocCurves, thresholdCurves } from './chartData';

const score = (v: number | null) => (v === null ? '' : ` (${Number(v.toPrecision(3))})`);

export function EvaluationCharts(props: { task: string; result: { [key: string]: unknown } }): JSX.Element {
  const trans = useTrans();
  const { result } = props;
  if (props.task === 'regression') {
    const plots = regressionPlots(result);
    if (!plots) {
      return <div className="jp-EasyMaker-empty">{trans.__('No plots in the results.')}</div>;
    }
    return (
      <div className="jp-EasyMaker-chartGrid" data-role="charts">
        <XYChart
          title={trans.__('Actual vs predicted')}
          xLabel={trans.__('Actual')}
          yLabel={trans.__('Predicted')}
          diagonal
          series={[{ label: trans.__('Records'), x: plots.actual, y: plots.predicted, kind: 'points' }]}
        />
        <XYChart
          title={trans.__('Residuals (predicted − actual)')}
          xLabel={trans.__('Residual')}
          yLabel={trans.__('Records')}
          series={[{ label: trans.__('Records'), x: plots.edges, y: plots.counts, kind: 'bars' }]}
        />
      </div>
    );
  }
  const roc = rocCurves(result);
  const pr = prCurves(result);
  const thresholds = thresholdCurves(result);
  const cm = confusionMatrix(result);
  return (
    <div className="jp-EasyMaker-chartGrid" data-role="charts">
      {roc.length ? (
        <XYChart
          title={trans.__('ROC curve')}
          xLabel={trans.__('False positive rate')}
          yLabel={trans.__('True positive rate')}
          xRange={[0, 1]}
          yRange={[0, 1]}
          diagonal
          series={roc.map(c => ({ label: c.name + score(c.score), x: c.x, y: c.y }))}
        />
      ) : null}
      {pr.length ? (
        <XYChart
          title={trans.__('Precision-recall curve')}
          xLabel={trans.__('Recall')}
          yLabel={trans.__('Precision')}
          xRange={[0, 1]}
          yRange={[0, 1]}
          series={pr.map(c => ({ label: c.name + score(c.score), x: c.x, y: c.y }))}
        />
      ) : null}
      {thresholds.map(t => (
        <XYChart
          key={t.name}
          title={trans.__('Precision and recall by threshold: %1', t.name)}
          xLabel={trans.__('Threshold')}
          xRange={[0, 1]}
          yRange={[0, 1]}
          series={[
            { label: trans.__('Precision'), x: t.thresholds, y: t.precision },
            { label: trans.__('Recall'), x: t.thresholds, y: t.recall, dashed: true }
          ]}
        />
      ))}
      {cm ? <ConfusionMatrix title={trans.__('Confusion matrix')} labels={cm.labels} matrix={cm.matrix} /> : null}
      {!roc.length && !cm ? <div className="jp-EasyMaker-empty">{trans.__('No curves in the results.')}</div> : null}
    </div>
  );
}
