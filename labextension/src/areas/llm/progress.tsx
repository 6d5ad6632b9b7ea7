/** A fine-tuning's live progress with its loss chart, and its result (no Lumino widgets here: unit-tested). */
import * as React from 'react';

import type { IMetrics } from '../../shared/api/types';
import { CHART_COLORS, TimeChart } from '../../shared/components/TimeChart';
import { useTrans } from '../../shared/i18n/react';
import { DetailRowsTable } from './table';
import { formatNumber } from '../../shared/state/format';
import type { ILlmModel } from './api';
import { alignSeries } from './chartData';
import { FinetuneProgress } from './parts';

/** Live progress of a fine-tuning and its loss chart (train and eval loss), tokens/s. */
export function ProgressView(props: { model: ILlmModel; metrics: IMetrics | null; error: string | null }): JSX.Element {
  const trans = useTrans();
  const { model: m, metrics } = props;
  const loss = alignSeries(metrics, ['loss', 'eval_loss']);
  const speed = alignSeries(metrics, ['tokens_per_s']);
  const p = m.progress;
  return (
    <div className="jp-EasyMaker-overview" data-role="progress">
      <FinetuneProgress model={m} />
      <DetailRowsTable
        rows={[
          [trans.__('Step'), p?.step !== undefined && p?.step !== null ? `${p.step}${p.total_steps ? ` / ${p.total_steps}` : ''}` : ''],
          [trans.__('Progress'), typeof p?.percent === 'number' ? `${p.percent.toFixed(1)}%` : ''],
          [trans.__('Loss'), formatNumber(p?.loss ?? null)],
          [trans.__('Eval loss'), formatNumber(p?.eval_loss ?? null)],
          [trans.__('Tokens per second'), formatNumber(p?.tokens_per_s ?? null)]
        ]}
      />
      {props.error ? <div className="jp-EasyMaker-error">{props.error}</div> : null}
      {loss.x.length ? (
        <div className="jp-EasyMaker-chartGrid" data-role="loss-chart">
          <TimeChart
            title={trans.__('Loss')}
            xKind="step"
            x={loss.x}
            points={loss.x.length < 30}
            series={loss.series.map((s, i) => ({ label: s.name, values: s.values, color: CHART_COLORS[i === 0 ? 0 : 1] }))}
          />
          {speed.x.length ? (
            <TimeChart title={trans.__('Tokens per second')} xKind="step" x={speed.x} fromZero series={[{ label: 'tokens/s', values: speed.series[0].values, color: CHART_COLORS[2] }]} />
          ) : null}
        </div>
      ) : (
        <div className="jp-EasyMaker-empty" data-role="no-metrics">
          {trans.__('No loss yet: the chart starts with the first training step.')}
        </div>
      )}
    </div>
  );
}

/** summary.json: eval loss and perplexity before and after, speed, and the outputs. */
export function ResultView(props: { model: ILlmModel }): JSX.Element {
  const trans = useTrans();
  const r = props.model.result ?? {};
  const out = props.model.outputs ?? {};
  const n = (v: unknown) => (typeof v === 'number' ? formatNumber(v) : '-');
  return (
    <div className="jp-EasyMaker-overview" data-role="result">
      <table className="jp-EasyMaker-details">
        <thead>
          <tr>
            <th />
            <th>{trans.__('Before')}</th>
            <th>{trans.__('After')}</th>
          </tr>
        </thead>
        <tbody>
          <tr data-row="eval_loss">
            <th>{trans.__('Eval loss')}</th>
            <td>{n(r.eval_loss_before)}</td>
            <td>{n(r.eval_loss)}</td>
          </tr>
          <tr data-row="perplexity">
            <th>{trans.__('Perplexity')}</th>
            <td>{n(r.perplexity_before)}</td>
            <td>{n(r.perplexity)}</td>
          </tr>
        </tbody>
      </table>
      <DetailRowsTable
        rows={[
          [trans.__('Train loss'), n(r.train_loss)],
          [trans.__('Steps'), n(r.steps)],
          [trans.__('Epochs'), n(r.epochs)],
          [trans.__('Training tokens'), n(r.train_tokens)],
          [trans.__('Training time (seconds)'), n(r.train_seconds)],
          [trans.__('Tokens per second'), n(r.tokens_per_second)],
          [trans.__('Resumed from step'), r.resumed_from_step ?? ''],
          [trans.__('Adapter'), out.adapter ? <code>{out.adapter}</code> : ''],
          [trans.__('Merged model'), out.merged ? <code>{out.merged}</code> : ''],
          [trans.__('Ollama Modelfile'), out.modelfile ? <code>{out.modelfile}</code> : '']
        ]}
      />
    </div>
  );
}
