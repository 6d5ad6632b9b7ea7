/**
 * The status words of an LLM studio model (kind `llm model`, generated from
 * its state machine on the server into `generated/statusWords.ts`), their
 * Korean labels, and the actions each status allows (the server sends
 * them as `actions`; `actionsOf` derives them when it does not).
 */
import { IStatusKind, STATUS_KINDS } from '../../generated/statusWords';
import type { ILlmModel, LlmAction } from './api';

/** The kind of an LLM studio model's change events and status words. */
export const LLM_KIND = 'llm model';

/** The guide's Korean labels of the statuses (the server's `status_label_ko` wins). */
export const STATUS_LABELS_KO: { readonly [status: string]: string } = {
  RUNNING: '실행 중',
  TRAINED: '학습 완료',
  TRAINING: '학습 중',
  'TRAINING CANCELLED': '학습 취소',
  ERROR: '오류'
};

/** The status words of `llm model` (generated from its state machine). */
export function llmWords(): IStatusKind {
  const words = STATUS_KINDS[LLM_KIND];
  if (!words) {
    throw new Error(`no status words are generated for the kind "${LLM_KIND}"`);
  }
  return words;
}

export function llmStatuses(): readonly string[] {
  return llmWords().statuses;
}

/** Statuses that stay until someone acts (no more polling). */
export function llmSettled(): readonly string[] {
  return llmWords().settled;
}

/** The Korean label of a status: `학습 중 42%` while training. */
export function statusLabelKo(m: Pick<ILlmModel, 'status' | 'status_label_ko' | 'progress'>): string {
  const label = m.status_label_ko || STATUS_LABELS_KO[m.status] || m.status;
  const percent = m.progress?.percent;
  return m.status === 'TRAINING' && typeof percent === 'number' ? `${label} ${Math.floor(percent)}%` : label;
}

/** The actions a status allows, when the server did not say. */
export function actionsOf(m: Pick<ILlmModel, 'status' | 'type' | 'outputs'>): LlmAction[] {
  const fineTuned = m.type === 'fine-tuned';
  switch (m.status) {
    case 'RUNNING':
      return ['unload', 'chat'];
    case 'TRAINED':
      return ['load', 'delete'];
    case 'TRAINING':
      return ['stop'];
    case 'TRAINING CANCELLED':
      return ['restart', 'delete'];
    case 'ERROR':
      // a failed fine-tuning restarts; a model whose server failed loads again
      return fineTuned && !m.outputs?.merged ? ['restart', 'delete'] : fineTuned ? ['load', 'restart', 'delete'] : ['load', 'delete'];
    default:
      return [];
  }
}

/** What may be done with the model now: the server's `actions`, else the status's. */
export function allowedActions(m: Pick<ILlmModel, 'status' | 'type' | 'outputs' | 'actions'>): Set<LlmAction> {
  const given = Array.isArray(m.actions) && m.actions.length ? (m.actions as LlmAction[]) : actionsOf(m);
  return new Set(given);
}

/** The action buttons of a model, in order, and whether each is allowed. */
export const ACTION_ORDER: readonly LlmAction[] = ['load', 'unload', 'stop', 'restart', 'delete'];

export function actionStates(m: Pick<ILlmModel, 'status' | 'type' | 'outputs' | 'actions'>): { action: LlmAction; allowed: boolean }[] {
  const allowed = allowedActions(m);
  return ACTION_ORDER.map(action => ({ action, allowed: allowed.has(action) }));
}

/** Progress as `42% · ETA 1m 05s · 812 tok/s` pieces. */
export function formatEta(seconds: number | null | undefined): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
    return '';
  }
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h ? `${h}h ${String(m).padStart(2, '0')}m` : m ? `${m}m ${String(r).padStart(2, '0')}s` : `${r}s`;
}

/** A loaded model answers: RUNNING and its server's address known (RUNNING without one: the server is starting). */
export function isServing(m: Pick<ILlmModel, 'status' | 'loaded'>): boolean {
  if (m.status !== 'RUNNING') {
    return false;
  }
  // the server records the address once the model's server answers; a list row patched by a
  // status event may be RUNNING before its `loaded` is read: not serving yet either
  return !!m.loaded?.address;
}
