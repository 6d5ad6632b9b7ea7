/**
 * Shaping of what the RAG views show (no DOM, unit-tested): the per-file
 * results of an ingestion in the order people read them (failed files
 * first), the ingestion's progress, the API statistics series and totals,
 * and the query examples.
 */
import { parseTime } from '../../shared/state/format';
import type { IIngestion, IIngestionFile, IRag, IRagStats } from './api';

/** Failed files first, then what changed in the store, then what stayed. */
export const OUTCOME_ORDER: readonly string[] = ['failed', 'added', 'changed', 'deleted', 'unchanged'];

function outcomeRank(outcome: string): number {
  const i = OUTCOME_ORDER.indexOf(outcome);
  return i < 0 ? OUTCOME_ORDER.length : i;
}

/** The files of an ingestion: FAILED first, then by outcome, then by path (a new array). */
export function orderFiles<T extends Pick<IIngestionFile, 'outcome' | 'path'>>(files: readonly T[]): T[] {
  return files
    .map((f, i) => ({ f, i }))
    .sort((a, b) => outcomeRank(a.f.outcome) - outcomeRank(b.f.outcome) || a.f.path.localeCompare(b.f.path) || a.i - b.i)
    .map(x => x.f);
}

/** The ingestion has its summary (the server sends `{}` until it has ended). */
export function hasResult(ingestion: Pick<IIngestion, 'result'>): boolean {
  return !!ingestion.result && Object.keys(ingestion.result).length > 0;
}

/** The counts of an ingestion's table row (from its result, or its progress while it runs). */
export function ingestionCounts(ingestion: Pick<IIngestion, 'result' | 'progress'>): {
  added: number | null;
  changed: number | null;
  deleted: number | null;
  failed: number | null;
  unchanged: number | null;
  chunks: number | null;
} {
  const r = ingestion.result;
  if (r && hasResult(ingestion)) {
    return {
      added: r.files_added ?? 0,
      changed: r.files_changed ?? 0,
      deleted: r.files_deleted ?? 0,
      failed: r.files_failed ?? 0,
      unchanged: r.files_unchanged ?? 0,
      chunks: r.chunks_total ?? null
    };
  }
  return { added: null, changed: null, deleted: null, failed: null, unchanged: null, chunks: ingestion.progress?.chunks ?? null };
}

/** Seconds an ingestion took (or has run so far, while it runs). */
export function ingestionSeconds(ingestion: Pick<IIngestion, 'result' | 'elapsed_seconds' | 'started_at' | 'finished_at'>, nowMs = Date.now()): number | null {
  if (typeof ingestion.result?.duration_seconds === 'number') {
    return ingestion.result.duration_seconds;
  }
  if (typeof ingestion.elapsed_seconds === 'number') {
    return ingestion.elapsed_seconds;
  }
  const started = parseTime(ingestion.started_at);
  if (started === null) {
    return null;
  }
  const finished = parseTime(ingestion.finished_at);
  return Math.max(0, ((finished ?? nowMs) - started) / 1000);
}

export type StatsRange = '1h' | '6h' | '24h' | '7d';

/** Time ranges of the charts; the interval keeps each chart at 60-168 points. */
export const STATS_RANGES: { id: StatsRange; seconds: number; interval: number }[] = [
  { id: '1h', seconds: 3600, interval: 60 },
  { id: '6h', seconds: 6 * 3600, interval: 300 },
  { id: '24h', seconds: 24 * 3600, interval: 900 },
  { id: '7d', seconds: 7 * 24 * 3600, interval: 3600 }
];

/** The `since` and `interval` query of a range, ending at `nowMs`. */
export function statsQuery(range: StatsRange, nowMs: number = Date.now()): { since: string; interval: number } {
  const r = STATS_RANGES.find(x => x.id === range) ?? STATS_RANGES[0];
  return { since: new Date(nowMs - r.seconds * 1000).toISOString(), interval: r.interval };
}

export interface IStatsSeries {
  x: number[];
  calls: number[];
  success: number[];
  failure: number[];
  p50: (number | null)[];
  p95: (number | null)[];
  p99: (number | null)[];
}

/** One array per chart line; x in unix seconds, latencies null where no call came. */
export function statsSeries(stats: IRagStats | null): IStatsSeries {
  const out: IStatsSeries = { x: [], calls: [], success: [], failure: [], p50: [], p95: [], p99: [] };
  for (const p of stats?.points ?? []) {
    const at = parseTime(p.time);
    if (at === null) {
      continue;
    }
    const calls = p.calls > 0;
    out.x.push(at / 1000);
    out.calls.push(p.calls);
    out.success.push(p.success);
    out.failure.push(p.failure);
    out.p50.push(calls ? p.latency_ms?.p50 ?? null : null);
    out.p95.push(calls ? p.latency_ms?.p95 ?? null : null);
    out.p99.push(calls ? p.latency_ms?.p99 ?? null : null);
  }
  return out;
}

export interface IStatsTotals {
  calls: number;
  success: number;
  failure: number;
  successRate: number | null;
  avg: number | null;
  p95: number | null;
  p99: number | null;
}

export function statsTotals(stats: IRagStats | null): IStatsTotals {
  const t = stats?.totals;
  const calls = t?.calls ?? 0;
  return {
    calls,
    success: t?.success ?? 0,
    failure: t?.failure ?? 0,
    successRate: calls ? (100 * (t?.success ?? 0)) / calls : null,
    avg: calls ? t?.latency_ms?.avg ?? null : null,
    p95: calls ? t?.latency_ms?.p95 ?? null : null,
    p99: calls ? t?.latency_ms?.p99 ?? null : null
  };
}

/** `0.84 ms`, `12.3 ms`, `1.25 s`; `-` when unknown. */
export function formatLatency(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) {
    return '-';
  }
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Number(ms.toPrecision(3))} ms`;
}

/** `ready/total` of the monitoring answer's pods, whatever form they come in; '' when unknown. */
export function podsText(pods: unknown): string {
  if (typeof pods === 'number') {
    return String(pods);
  }
  if (Array.isArray(pods)) {
    const ready = pods.filter(p => {
      const o = p as { ready?: unknown; status?: unknown; phase?: unknown } | null;
      return o && (o.ready === true || o.status === 'Running' || o.phase === 'Running');
    }).length;
    return `${ready}/${pods.length}`;
  }
  if (pods && typeof pods === 'object') {
    const o = pods as { ready?: unknown; total?: unknown };
    if (typeof o.ready === 'number' && typeof o.total === 'number') {
      return `${o.ready}/${o.total}`;
    }
  }
  return '';
}

/** The OpenAI-compatible base URL (`…/easymaker/rag/v1`) of a RAG. */
export function openaiBaseUrl(rag: Pick<IRag, 'openai_base_url' | 'query_url'>): string {
  if (rag.openai_base_url) {
    return rag.openai_base_url.replace(/\/+$/, '');
  }
  return (rag.query_url ?? '').replace(/\/query\/?$/, '');
}

/** A curl call of the query URL, streaming, with the key from the environment. */
export function curlExample(rag: Pick<IRag, 'name' | 'query_url'>, question: string): string {
  const body = JSON.stringify({ model: rag.name, messages: [{ role: 'user', content: question }], stream: true });
  return [
    `curl -N -X POST ${rag.query_url} \\`,
    '  -H "Authorization: Bearer $EASYMAKER_API_KEY" \\',
    '  -H "Content-Type: application/json" \\',
    `  -d '${body.replace(/'/g, "'\\''")}'`
  ].join('\n');
}

/** The same question through the `openai` Python package. */
export function pythonExample(rag: Pick<IRag, 'name' | 'query_url' | 'openai_base_url'>, question: string): string {
  return [
    'import os',
    'from openai import OpenAI',
    '',
    `client = OpenAI(base_url=${JSON.stringify(openaiBaseUrl(rag))}, api_key=os.environ["EASYMAKER_API_KEY"])`,
    'stream = client.chat.completions.create(',
    `    model=${JSON.stringify(rag.name)},`,
    `    messages=[{"role": "user", "content": ${JSON.stringify(question)}}],`,
    '    stream=True,',
    ')',
    'for chunk in stream:',
    '    print(chunk.choices[0].delta.content or "", end="", flush=True)',
    '# the passages: chunk.model_extra["sources"] of the first chunk'
  ].join('\n');
}
