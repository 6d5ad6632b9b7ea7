/** Shaping of a stage's statistics, monitoring and logs for the endpoint views. */
import { describe, expect, it } from 'vitest';

import type { IInferenceLog, IStageMonitoring, IStageStats, IStatsPoint } from '../src/areas/endpoints/api';
import {
  allocationText,
  appendLogs,
  autoscalerText,
  formatLatency,
  monitoringSeries,
  sampleBody,
  stageActions,
  statsQuery,
  statsSeries,
  statsTotals
} from '../src/areas/endpoints/stats';

const empty = { avg: null, max: null, p50: null, p90: null, p95: null, p99: null };

function point(time: string, calls: number, failure: number, p50: number | null = null): IStatsPoint {
  return {
    time,
    calls,
    success: calls - failure,
    failure,
    latency_ms: calls ? { avg: 10, max: 40, p50, p90: 30, p95: 35, p99: 39 } : empty
  };
}

// the shape a running server answers (GET .../stages/default/statistics?interval=60)
const STATS: IStageStats = {
  endpoint_id: 'e',
  stage_id: 's',
  stage_name: 'default',
  interval_seconds: 60,
  since: '2026-11-23T01:15:09.625366Z',
  until: '2026-11-23T01:18:09.625366Z',
  totals: { time: '2026-11-23T01:15:09.625366Z', calls: 4, success: 3, failure: 1, latency_ms: { avg: 12.553, max: 43.33, p50: 2.679, p90: 42.5, p95: 42.5, p99: 42.5 } },
  points: [point('2026-11-23T01:15:00Z', 0, 0), point('2026-11-23T01:16:00Z', 3, 1, 2.5), point('2026-11-23T01:17:00Z', 1, 0, 4), point('2026-11-23T01:18:00Z', 0, 0)]
};

describe('statsSeries', () => {
  it('gives one x per interval in unix seconds and one array per line', () => {
    const s = statsSeries(STATS);
    expect(s.x).toEqual([Date.UTC(2026, 10, 23, 1, 15) / 1000, Date.UTC(2026, 10, 23, 1, 16) / 1000, Date.UTC(2026, 10, 23, 1, 17) / 1000, Date.UTC(2026, 10, 23, 1, 18) / 1000]);
    expect(s.calls).toEqual([0, 3, 1, 0]);
    expect(s.success).toEqual([0, 2, 1, 0]);
    expect(s.failure).toEqual([0, 1, 0, 0]);
  });

  it('leaves latency gaps where an interval had no calls', () => {
    const s = statsSeries(STATS);
    expect(s.p50).toEqual([null, 2.5, 4, null]);
    expect(s.p95).toEqual([null, 35, 35, null]);
    expect(s.p99).toEqual([null, 39, 39, null]);
  });

  it('is empty before the first answer', () => {
    expect(statsSeries(null).x).toEqual([]);
  });
});

describe('statsTotals', () => {
  it('sums up the totals with the success rate', () => {
    const t = statsTotals(STATS);
    expect(t).toMatchObject({ calls: 4, success: 3, failure: 1, successRate: 75, avg: 12.553, p95: 42.5, p99: 42.5 });
  });

  it('has no rate or latency without calls', () => {
    const t = statsTotals({ ...STATS, totals: point('2026-11-23T01:15:00Z', 0, 0) });
    expect(t).toMatchObject({ calls: 0, successRate: null, avg: null, p95: null });
  });
});

describe('statsQuery', () => {
  it('asks for the range with an interval that keeps the charts readable', () => {
    const now = Date.UTC(2026, 0, 8, 12, 0, 0);
    expect(statsQuery('1h', now)).toEqual({ since: '2026-01-08T11:00:00.000Z', interval: 60 });
    expect(statsQuery('6h', now)).toEqual({ since: '2026-01-08T06:00:00.000Z', interval: 300 });
    expect(statsQuery('24h', now)).toEqual({ since: '2026-01-07T12:00:00.000Z', interval: 900 });
    expect(statsQuery('7d', now)).toEqual({ since: '2026-01-01T12:00:00.000Z', interval: 3600 });
  });
});

describe('formatLatency', () => {
  it('reads ms and seconds', () => {
    expect(formatLatency(0.8264)).toBe('0.826 ms');
    expect(formatLatency(43.33)).toBe('43.3 ms');
    expect(formatLatency(1250)).toBe('1.25 s');
    expect(formatLatency(null)).toBe('-');
  });
});

describe('monitoringSeries', () => {
  it('gives CPU % and memory MiB per resource in time order', () => {
    const m: IStageMonitoring = {
      endpoint_id: 'e',
      stage_id: 's',
      resources: [
        {
          resource_id: 'r1',
          model_name: 'iris',
          pods_ready: 1,
          pods_total: 1,
          usage: [
            { time: '2026-11-23T02:15:10+00:00', cpu_percent: 3, memory_bytes: 2 * 1024 * 1024, gpu_percent: null, gpu_memory_bytes: null },
            { time: '2026-11-23T02:15:05.039561+00:00', cpu_percent: 0, memory_bytes: 168189952, gpu_percent: null, gpu_memory_bytes: null }
          ]
        }
      ]
    };
    const [s] = monitoringSeries(m);
    expect(s.model).toBe('iris');
    expect(s.x[0]).toBeLessThan(s.x[1]);
    expect(s.cpu).toEqual([0, 3]);
    expect(s.memory).toEqual([168189952 / 1048576, 2]);
    expect(s.hasGpu).toBe(false);
  });

  it('gives GPU % and GPU memory MiB where pods have GPUs, and says whether any sample has them', () => {
    const m: IStageMonitoring = {
      endpoint_id: 'e',
      stage_id: 's',
      resources: [
        {
          resource_id: 'r1',
          model_name: 'llm',
          pods_ready: 1,
          pods_total: 1,
          usage: [
            { time: '2026-11-23T02:15:10+00:00', cpu_percent: 50, memory_bytes: 1048576, gpu_percent: 63.5, gpu_memory_bytes: 3072 * 1048576 },
            { time: '2026-11-23T02:15:05+00:00', cpu_percent: 40, memory_bytes: 1048576, gpu_percent: null, gpu_memory_bytes: null }
          ]
        },
        { resource_id: 'r2', model_name: 'iris', pods_ready: 1, pods_total: 1, usage: [] }
      ]
    };
    const [gpu, cpu] = monitoringSeries(m);
    expect(gpu.hasGpu).toBe(true);
    expect(gpu.gpu).toEqual([null, 63.5]);
    expect(gpu.gpuMemory).toEqual([null, 3072]);
    expect(cpu.hasGpu).toBe(false);
  });
});

describe('appendLogs', () => {
  const log = (id: number): IInferenceLog =>
    ({ id, time: '', category: 'easymaker.inference', logLevel: 'INFO', logType: '', body: `POST ${id}`, endpointId: 'e', endpointStageId: 's', inferenceId: `i${id}`, action: 'Endpoint.Model', modelName: 'iris', status: 200, latencyMs: 1 }) as IInferenceLog;

  it('appends new records once and keeps the newest', () => {
    const tail = appendLogs([log(1), log(2)], [log(2), log(3)]);
    expect(tail.map(r => r.id)).toEqual([1, 2, 3]);
    expect(appendLogs(tail, [log(4), log(5)], 3).map(r => r.id)).toEqual([3, 4, 5]);
  });
});

describe('stage and resource texts', () => {
  it('describes the allocation per pod', () => {
    expect(allocationText({ allocation: { cpu: 0.5, memory_mib: 995, gpu: 0, allocation_percent: null } })).toBe('0.5 CPU · 995 MiB');
    expect(allocationText({ allocation: { cpu: 2, memory_mib: 4096, gpu: 1, allocation_percent: 50 } })).toBe('2 CPU · 4 GiB · 1 GPU (50%)');
  });

  it('describes the pod autoscaler with its default range', () => {
    expect(autoscalerText({ pod_count: 2, pod_autoscaler: { enabled: true, metric: 'cpu', threshold: 70, min_pods: null, max_pods: null } })).toBe('cpu > 70%, 2-4');
    expect(autoscalerText({ pod_count: 1, pod_autoscaler: { enabled: false, metric: 'cpu', threshold: 80, min_pods: 1, max_pods: 2 } })).toBe('');
  });

  it('allows what the server allows on a stage', () => {
    expect(stageActions({ status: 'ACTIVE', is_default: true })).toEqual({ makeDefault: false, retry: false, remove: false });
    expect(stageActions({ status: 'ACTIVE', is_default: false })).toEqual({ makeDefault: true, retry: false, remove: true });
    expect(stageActions({ status: 'DEPLOY FAILED', is_default: false })).toEqual({ makeDefault: false, retry: true, remove: true });
    expect(stageActions({ status: 'CREATE IN PROGRESS', is_default: false })).toEqual({ makeDefault: false, retry: false, remove: false });
  });

  it('starts the Try it body as wide as the model input', () => {
    expect(sampleBody({ inputs: [{ name: 'input-0', datatype: 'FP64', shape: [-1, 4] }] })).toBe('{"instances":[[0,0,0,0]]}');
    expect(sampleBody({})).toBe('{"instances":[[0]]}');
  });
});
