/**
 * Shaping of a stage's API statistics, monitoring and inference logs for
 * the charts and tables (no DOM, unit-tested).
 */
import { parseTime } from '../../shared/state/format';
import { isSettled } from '../../shared/status';
import type { IInferenceLog, IStage, IStageMonitoring, IStageResource, IStageStats } from './api';

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
  /** Unix seconds of each interval's start. */
  x: number[];
  calls: number[];
  success: number[];
  failure: number[];
  /** Latency percentiles in ms; null where the interval had no calls. */
  p50: (number | null)[];
  p95: (number | null)[];
  p99: (number | null)[];
}

/** One array per chart line from the statistics answer. */
export function statsSeries(stats: IStageStats | null): IStatsSeries {
  const points = stats?.points ?? [];
  const out: IStatsSeries = { x: [], calls: [], success: [], failure: [], p50: [], p95: [], p99: [] };
  for (const p of points) {
    const at = parseTime(p.time);
    if (at === null) {
      continue;
    }
    out.x.push(at / 1000);
    out.calls.push(p.calls);
    out.success.push(p.success);
    out.failure.push(p.failure);
    const calls = p.calls > 0;
    out.p50.push(calls ? p.latency_ms.p50 ?? null : null);
    out.p95.push(calls ? p.latency_ms.p95 ?? null : null);
    out.p99.push(calls ? p.latency_ms.p99 ?? null : null);
  }
  return out;
}

export interface IStatsTotals {
  calls: number;
  success: number;
  failure: number;
  /** Percent of calls that succeeded; null without calls. */
  successRate: number | null;
  avg: number | null;
  p95: number | null;
  p99: number | null;
}

export function statsTotals(stats: IStageStats | null): IStatsTotals {
  const t = stats?.totals;
  const calls = t?.calls ?? 0;
  return {
    calls,
    success: t?.success ?? 0,
    failure: t?.failure ?? 0,
    successRate: calls ? (100 * (t?.success ?? 0)) / calls : null,
    avg: calls ? t?.latency_ms.avg ?? null : null,
    p95: calls ? t?.latency_ms.p95 ?? null : null,
    p99: calls ? t?.latency_ms.p99 ?? null : null
  };
}

/** A latency for people: `0.84 ms`, `12.3 ms`, `1.25 s`. */
export function formatLatency(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) {
    return '-';
  }
  if (ms >= 1000) {
    return `${(ms / 1000).toFixed(2)} s`;
  }
  return `${Number(ms.toPrecision(3))} ms`;
}

export interface IUsageSeries {
  resourceId: string;
  model: string;
  x: number[];
  cpu: (number | null)[];
  /** MiB. */
  memory: (number | null)[];
  /** Mean utilisation of the pods' GPUs; null where a sample has none. */
  gpu: (number | null)[];
  /** MiB used on the pods' GPUs. */
  gpuMemory: (number | null)[];
  /** Whether any sample has GPU data (pods with a GPU allocation). */
  hasGpu: boolean;
}

const MIB = 1024 * 1024;

/** CPU (%), memory (MiB) and, for pods with GPUs, GPU (%) and GPU memory (MiB) per resource, samples in time order. */
export function monitoringSeries(monitoring: IStageMonitoring | null): IUsageSeries[] {
  return (monitoring?.resources ?? []).map(r => {
    const samples = r.usage
      .map(u => ({ u, at: parseTime(u.time) }))
      .filter((s): s is { u: (typeof r.usage)[number]; at: number } => s.at !== null)
      .sort((a, b) => a.at - b.at);
    const gpu = samples.map(s => (typeof s.u.gpu_percent === 'number' ? s.u.gpu_percent : null));
    const gpuMemory = samples.map(s => (typeof s.u.gpu_memory_bytes === 'number' ? s.u.gpu_memory_bytes / MIB : null));
    return {
      resourceId: r.resource_id,
      model: r.model_name,
      x: samples.map(s => s.at / 1000),
      cpu: samples.map(s => (typeof s.u.cpu_percent === 'number' ? s.u.cpu_percent : null)),
      memory: samples.map(s => (typeof s.u.memory_bytes === 'number' ? s.u.memory_bytes / MIB : null)),
      gpu,
      gpuMemory,
      hasGpu: gpu.some(v => v !== null) || gpuMemory.some(v => v !== null)
    };
  });
}

/**
 * Append newly read log records to the tail (deduplicated by id), keeping
 * the newest `cap`.
 */
export function appendLogs(tail: IInferenceLog[], records: IInferenceLog[], cap = 500): IInferenceLog[] {
  const seen = new Set(tail.map(r => r.id));
  const merged = tail.concat(records.filter(r => !seen.has(r.id)));
  return merged.length > cap ? merged.slice(merged.length - cap) : merged;
}

/** `0.5 CPU · 995 MiB · 1 GPU` (the per-pod allocation). */
export function allocationText(resource: Pick<IStageResource, 'allocation'>): string {
  const a = resource.allocation;
  const parts = [`${Number(a.cpu.toPrecision(3))} CPU`, a.memory_mib >= 1024 ? `${Number((a.memory_mib / 1024).toPrecision(3))} GiB` : `${a.memory_mib} MiB`];
  if (a.gpu) {
    parts.push(`${a.gpu} GPU`);
  }
  const text = parts.join(' · ');
  return a.allocation_percent ? `${text} (${a.allocation_percent}%)` : text;
}

/** `cpu > 80%, 1-2` (pods), or '' when the autoscaler is off. */
export function autoscalerText(resource: Pick<IStageResource, 'pod_autoscaler' | 'pod_count'>): string {
  const s = resource.pod_autoscaler;
  if (!s?.enabled) {
    return '';
  }
  const low = s.min_pods ?? resource.pod_count;
  const high = s.max_pods ?? Math.max(low, 2 * resource.pod_count);
  return `${s.metric} > ${s.threshold}%, ${low}-${high}`;
}

/** What a stage allows: the guide's rules, as the server enforces them. */
export function stageActions(stage: Pick<IStage, 'status' | 'is_default'>): { makeDefault: boolean; retry: boolean; remove: boolean } {
  const busy = !isSettled('endpoint stage', stage.status);
  return {
    makeDefault: !stage.is_default && stage.status === 'ACTIVE',
    retry: stage.status.endsWith('FAILED'),
    remove: !stage.is_default && !busy
  };
}

/**
 * A request body to start the "Try it" box with: the v1 `instances` form,
 * one row of zeros as wide as the model's first input (when known).
 */
export function sampleBody(artifactInfo: { [key: string]: unknown } | null | undefined): string {
  const inputs = artifactInfo?.inputs;
  const shape = Array.isArray(inputs) && inputs[0] && typeof inputs[0] === 'object' ? (inputs[0] as { shape?: unknown }).shape : null;
  const width = Array.isArray(shape) && shape.length === 2 && typeof shape[1] === 'number' && shape[1] > 0 && shape[1] <= 64 ? shape[1] : null;
  const row = width ? new Array(width).fill(0) : [0];
  return JSON.stringify({ instances: [row] });
}
