/** One model evaluation: overview, metrics, charts (curves, confusion matrix), logs, status history. */
import * as React from 'react';

import { CommandIDs } from '../../commands';
import type { EasyMakerContext } from '../../shared/context';
import { useTrans } from '../../shared/i18n/react';
import { ProgressCell } from '../../shared/panels/cells';
import { CommandLink, DetailRows } from '../../shared/panels/detailTabs';
import { JobDetailPanel } from '../../shared/panels/jobDetail';
import type { IDetailTab } from '../../shared/panels/resourceDetail';
import { formatElapsed, formatNumber, formatTime } from '../../shared/state/format';
import { errorText } from '../../shared/state/listModel';
import { evaluationsApi, type IEvaluation, type IEvaluationResults } from './api';
import { METRIC_LABELS } from './chartData';
import { EvaluationCharts } from './charts';

export class EvaluationDetailPanel extends JobDetailPanel<IEvaluation> {
  constructor(ctx: EasyMakerContext, id: string, tab?: string) {
    super(ctx, {
      api: evaluationsApi(ctx),
      rename: (ref, body) => evaluationsApi(ctx).update(ref, body),
      kind: 'model evaluation',
      id,
      name: 'model-evaluation',
      tab,
      title: ctx.trans.__('Model evaluation'),
      copyCommand: CommandIDs.createEvaluation,
      noun: ctx.trans.__('model evaluations')
    });
  }

  get results(): IEvaluationResults | null {
    return this._results;
  }

  protected onTabShown(tab: string): void {
    const e = this.resource;
    if ((tab === 'metrics' || tab === 'charts') && e?.status === 'COMPLETE' && !this._results) {
      evaluationsApi(this.ctx)
        .results(this.resourceId)
        .then(r => ((this._results = r), (this._resultsError = null)))
        .catch(err => (this._resultsError = errorText(err)))
        .finally(() => this.update());
    }
  }

  protected overviewRows(e: IEvaluation): DetailRows {
    const { trans } = this;
    const spec = e.spec ?? {};
    const commands = this.ctx.app.commands;
    return [
      [trans.__('Model'), <CommandLink label={e.model_name ?? e.model_id} onClick={() => void commands.execute(CommandIDs.openModel, { id: e.model_id })} />],
      [trans.__('Task'), e.task],
      [trans.__('Class names'), e.class_names.join(', ')],
      [trans.__('Input data path'), <code>{String(spec.input_path ?? '')}</code>],
      [trans.__('Input data type'), String(spec.input_format ?? '')],
      [trans.__('Target field'), String(spec.target_field ?? '')],
      [
        trans.__('Batch inference'),
        e.batch_inference_id ? (
          <CommandLink
            label={e.batch_inference_status ?? e.batch_inference_id}
            onClick={() => void commands.execute(CommandIDs.openBatchInference, { id: e.batch_inference_id! })}
          />
        ) : (
          ''
        )
      ],
      [trans.__('Progress (records)'), <ProgressCell done={e.progress.records_done} total={e.progress.records_total} errors={e.progress.errors} />],
      [trans.__('Backend'), e.backend],
      [trans.__('Elapsed'), formatElapsed(e.elapsed_seconds)],
      [trans.__('Created'), formatTime(e.created_at)]
    ];
  }

  protected jobTabs(e: IEvaluation): IDetailTab[] {
    const { trans } = this;
    const pending = (
      <div className="jp-EasyMaker-empty">
        {this._resultsError ?? (e.status === 'COMPLETE' ? trans.__('Loading…') : trans.__('The results appear when the evaluation is COMPLETE.'))}
      </div>
    );
    return [
      { id: 'metrics', label: trans.__('Metrics'), render: () => (this._results ? <MetricsTables results={this._results} /> : pending) },
      {
        id: 'charts',
        label: trans.__('Charts'),
        render: () => (this._results ? <EvaluationCharts task={this._results.task} result={this._results.result} /> : pending)
      }
    ];
  }

  private _results: IEvaluationResults | null = null;
  private _resultsError: string | null = null;
}

/** Scalar metrics with their notes, averages and per-class scores. */
function MetricsTables(props: { results: IEvaluationResults }): JSX.Element {
  const trans = useTrans();
  const { metrics, result } = props.results;
  const notes = (result.notes as { [key: string]: string } | undefined) ?? {};
  const averages = (result.averages as { [avg: string]: { [k: string]: number | null } } | undefined) ?? {};
  const perClass = (result.per_class as { class: string; precision: number; recall: number; f1: number; support: number }[] | undefined) ?? [];
  return (
    <div data-role="metrics">
      <table className="jp-EasyMaker-details" data-role="scalar-metrics">
        <tbody>
          {Object.entries(metrics).map(([key, value]) => (
            <tr key={key} data-metric={key}>
              <th>{METRIC_LABELS[key] ? trans.__(METRIC_LABELS[key]) : key}</th>
              <td>{formatNumber(value)}</td>
              <td className="jp-EasyMaker-help">{notes[key] ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {Object.keys(averages).length ? (
        <table className="jp-EasyMaker-details" data-role="averages">
          <thead>
            <tr>
              <th>{trans.__('Average')}</th>
              <th>{trans.__('Precision')}</th>
              <th>{trans.__('Recall')}</th>
              <th>{trans.__('F1 score')}</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(averages).map(([avg, v]) => (
              <tr key={avg}>
                <td>{avg}</td>
                <td>{formatNumber(v.precision)}</td>
                <td>{formatNumber(v.recall)}</td>
                <td>{formatNumber(v.f1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {perClass.length ? (
        <table className="jp-EasyMaker-details" data-role="per-class">
          <thead>
            <tr>
              <th>{trans.__('Class')}</th>
              <th>{trans.__('Precision')}</th>
              <th>{trans.__('Recall')}</th>
              <th>{trans.__('F1 score')}</th>
              <th>{trans.__('Support')}</th>
            </tr>
          </thead>
          <tbody>
            {perClass.map(c => (
              <tr key={c.class}>
                <td>{c.class}</td>
                <td>{formatNumber(c.precision)}</td>
                <td>{formatNumber(c.recall)}</td>
                <td>{formatNumber(c.f1)}</td>
                <td>{c.support}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {notes.scores ? <div className="jp-EasyMaker-help">{notes.scores}</div> : null}
    </div>
  );
}
