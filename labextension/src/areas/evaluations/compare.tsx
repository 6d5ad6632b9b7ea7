/**
 * Several evaluations side by side: every metric with the best value
 * marked, the ROC and precision-recall curves overlaid, and the confusion
 * matrices next to each other.
 */
import * as React from 'react';

import { ConfusionMatrix } from '../../shared/components/ConfusionMatrix';
import { XYChart } from '../../shared/components/XYChart';
import type { EasyMakerContext } from '../../shared/context';
import { useTrans } from '../../shared/i18n/react';
import { EasyMakerPanel } from '../../shared/panels/base';
import { formatNumber } from '../../shared/state/format';
import { errorText } from '../../shared/state/listModel';
import type { IEvaluationComparison } from './api';
import { evaluationsApi } from './api';
import { METRIC_LABELS } from './chartData';

let counter = 0;

export class EvaluationComparePanel extends EasyMakerPanel {
  constructor(ctx: EasyMakerContext, readonly ids: string[]) {
    super(ctx);
    this.addClass('jp-EasyMaker-detail');
    this.addClass('jp-EasyMaker-compare');
    this.id = `jp-EasyMaker-evaluation-compare-${++counter}`;
    this.title.label = ctx.trans.__('Compare evaluations');
    this.title.closable = true;
    void this.reload();
  }

  comparison: IEvaluationComparison | null = null;
  error: string | null = null;

  async reload(): Promise<void> {
    try {
      this.comparison = await evaluationsApi(this.ctx).compare(this.ids);
      this.error = null;
      this.title.label = this.ctx.trans.__('Compare: %1', this.comparison.evaluations.map(e => e.name).join(', '));
    } catch (error) {
      this.error = errorText(error);
    }
    this.update();
  }

  protected renderPanel(): JSX.Element {
    return <CompareView panel={this} />;
  }
}

function curveXY(curve: { [key: string]: unknown }, kind: 'roc' | 'pr'): { x: number[]; y: number[] } {
  const arr = (k: string) => (Array.isArray(curve[k]) ? (curve[k] as number[]) : []);
  return kind === 'roc' ? { x: arr('fpr'), y: arr('tpr') } : { x: arr('recall'), y: arr('precision') };
}

function CompareView(props: { panel: EvaluationComparePanel }): JSX.Element {
  const trans = useTrans();
  const c = props.panel.comparison;
  if (!c) {
    return <div className="jp-EasyMaker-detailBody">{props.panel.error ? <div className="jp-EasyMaker-error">{props.panel.error}</div> : trans.__('Loading…')}</div>;
  }
  const names = c.evaluations.map(e => e.name);
  return (
    <div className="jp-EasyMaker-detailBody" data-role="compare">
      <h2 className="jp-EasyMaker-detailTitle">{trans.__('Compare evaluations')}</h2>
      <table className="jp-EasyMaker-details" data-role="compare-metrics">
        <thead>
          <tr>
            <th>{trans.__('Metric')}</th>
            {c.evaluations.map(e => (
              <th key={e.id}>
                {e.name}
                <div className="jp-EasyMaker-help">{e.model_name ?? e.model_id}</div>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {c.metrics.map(m => (
            <tr key={m.name} data-metric={m.name}>
              <th title={m.goal === 'maximize' ? trans.__('higher is better') : trans.__('lower is better')}>
                {METRIC_LABELS[m.name] ? trans.__(METRIC_LABELS[m.name]) : m.name} {m.goal === 'maximize' ? '↑' : '↓'}
              </th>
              {m.values.map((v, i) => (
                <td key={i} className={m.best === i ? 'jp-EasyMaker-best' : undefined} data-best={m.best === i ? 'true' : undefined}>
                  {formatNumber(v)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <div className="jp-EasyMaker-chartGrid" data-role="charts">
        {(['roc', 'pr'] as const).map(kind =>
          (c.curves[kind] ?? []).length ? (
            <XYChart
              key={kind}
              title={kind === 'roc' ? trans.__('ROC curve') : trans.__('Precision-recall curve')}
              xLabel={kind === 'roc' ? trans.__('False positive rate') : trans.__('Recall')}
              yLabel={kind === 'roc' ? trans.__('True positive rate') : trans.__('Precision')}
              xRange={[0, 1]}
              yRange={[0, 1]}
              diagonal={kind === 'roc'}
              series={(c.curves[kind] ?? []).map(curve => ({ label: curve.name, ...curveXY(curve, kind) }))}
            />
          ) : null
        )}
      </div>
      <div className="jp-EasyMaker-chartGrid">
        {(c.confusion_matrices ?? []).map(m => (
          <ConfusionMatrix key={m.evaluation_id} title={m.name} labels={(m.labels as string[]) ?? []} matrix={(m.matrix as number[][]) ?? []} />
        ))}
      </div>
      {names.length < 2 ? <div className="jp-EasyMaker-help">{trans.__('Select two or more evaluations to compare.')}</div> : null}
    </div>
  );
}
