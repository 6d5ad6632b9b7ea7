/** Small parts of the LLM studio: name chips, the status with its Korean label, the progress of a fine-tuning. */
import * as React from 'react';

import { StatusBadge } from '../../shared/components/StatusBadge';
import { useTrans } from '../../shared/i18n/react';
import { formatNumber } from '../../shared/state/format';
import type { ILlmModel, INameInfo } from './api';
import { formatEta, isServing, statusLabelKo } from './statuses';

export interface IChip {
  key: string;
  text: string;
}

/** What the name says, as chips: family, size (active parameters of a MoE), MoE, chat / instruct, quantization, format. */
export function nameChips(info: INameInfo | null | undefined, format?: string): IChip[] {
  const out: IChip[] = [];
  if (!info) {
    return format ? [{ key: 'format', text: format }] : [];
  }
  if (info.family) {
    out.push({ key: 'family', text: String(info.family) });
  }
  if (info.size) {
    out.push({ key: 'size', text: info.active_params ? `${info.size} (${info.active_params} active)` : String(info.size) });
  }
  if (info.moe) {
    out.push({ key: 'moe', text: 'MoE' });
  }
  if (info.chat) {
    out.push({ key: 'chat', text: 'chat' });
  }
  if (info.instruct) {
    out.push({ key: 'instruct', text: 'instruct' });
  }
  if (info.quantization) {
    out.push({ key: 'quantization', text: String(info.quantization) });
  }
  const f = info.format || format;
  if (f) {
    out.push({ key: 'format', text: String(f) });
  }
  return out;
}

export function Chips(props: { chips: IChip[]; oneLine?: boolean }): JSX.Element {
  return (
    <span
      className="jp-EasyMaker-chips"
      data-role="name-chips"
      title={props.oneLine ? props.chips.map(c => c.text).join(' · ') : undefined}
      style={{ display: 'inline-flex', flexWrap: props.oneLine ? 'nowrap' : 'wrap', overflow: 'hidden', gap: 4, maxWidth: '100%' }}
    >
      {props.chips.map(c => (
        <span
          key={c.key}
          data-chip={c.key}
          style={{
            fontSize: 'var(--jp-ui-font-size0)',
            padding: '0 6px',
            borderRadius: 8,
            border: '1px solid var(--jp-border-color2)',
            background: 'var(--jp-layout-color2)',
            color: 'var(--jp-ui-font-color1)',
            whiteSpace: 'nowrap'
          }}
        >
          {c.text}
        </span>
      ))}
    </span>
  );
}

/** The status badge and its Korean label (with the progress while training). */
export function LlmStatus(props: { model: ILlmModel }): JSX.Element {
  const trans = useTrans();
  const m = props.model;
  const starting = m.status === 'RUNNING' && !isServing(m);
  return (
    <span
      style={{ display: 'inline-flex', gap: 6, alignItems: 'center', whiteSpace: 'nowrap' }}
      data-role="llm-status"
      data-status={m.status}
      data-serving={isServing(m) ? 'true' : 'false'}
    >
      <StatusBadge status={m.status} title={m.status_reason} />
      <span className="jp-EasyMaker-help" data-role="status-ko">
        {statusLabelKo(m)}
      </span>
      {starting ? (
        <span className="jp-EasyMaker-help" data-role="starting">
          {trans.__('starting the server…')}
        </span>
      ) : null}
    </span>
  );
}

/** A fine-tuning's progress: bar, %, step, ETA, tokens/s, loss. */
export function FinetuneProgress(props: { model: ILlmModel; compact?: boolean }): JSX.Element | null {
  const trans = useTrans();
  const p = props.model.progress;
  if (!p) {
    return null;
  }
  const percent = typeof p.percent === 'number' ? Math.max(0, Math.min(100, p.percent)) : null;
  const parts: string[] = [];
  if (percent !== null) {
    parts.push(`${percent.toFixed(percent < 10 ? 1 : 0)}%`);
  }
  if (!props.compact && typeof p.step === 'number') {
    parts.push(`${trans.__('step')} ${p.step}${p.total_steps ? `/${p.total_steps}` : ''}`);
  }
  const eta = formatEta(p.eta_s);
  if (eta && props.model.status === 'TRAINING') {
    parts.push(`${trans.__('ETA')} ${eta}`);
  }
  if (typeof p.tokens_per_s === 'number') {
    parts.push(`${formatNumber(p.tokens_per_s)} tok/s`);
  }
  if (!props.compact && typeof p.loss === 'number') {
    parts.push(`loss ${formatNumber(p.loss)}`);
  }
  if (!props.compact && typeof p.eval_loss === 'number') {
    parts.push(`eval_loss ${formatNumber(p.eval_loss)}`);
  }
  return (
    <span className="jp-EasyMaker-progress" data-role="finetune-progress" data-percent={percent === null ? '' : percent.toFixed(1)}>
      <span className="jp-EasyMaker-progressBar">
        <span className="jp-EasyMaker-progressFill" style={{ width: `${percent ?? 0}%` }} />
      </span>
      <span className="jp-EasyMaker-progressText">{parts.join(' · ')}</span>
    </span>
  );
}
