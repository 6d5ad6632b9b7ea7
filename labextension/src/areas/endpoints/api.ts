/**
 * Endpoints, their stages, stage resources, API keys and API statistics.
 * Shapes follow `schemas/endpoints.py` and the handlers' answers.
 */
import { familyApi } from '../../shared/api';
import type { ApiClient } from '../../shared/api/client';
import { ResourceApi } from '../../shared/api/resources';
import type { IResource, IStatusEvent } from '../../shared/api/types';

export interface IAllocation {
  cpu: number;
  memory_mib: number;
  gpu: number;
  allocation_percent: number | null;
}

export interface IPodAutoscaler {
  enabled: boolean;
  metric: 'cpu' | 'memory';
  threshold: number;
  min_pods: number | null;
  max_pods: number | null;
}

export interface IStageResource {
  id: string;
  endpoint_id: string;
  stage_id: string;
  model_id: string;
  model_name: string;
  framework: string;
  description: string;
  status: string;
  status_reason: string;
  allocation: IAllocation;
  pod_count: number;
  pod_autoscaler: IPodAutoscaler;
  pods_ready: number;
  pods_total: number;
  /** `{stage URL}/{model}`. */
  resource_path: string;
  predict_url: string;
  backend: string;
  created_at: string;
  updated_at: string;
  history?: IStatusEvent[] | null;
}

export interface IStage {
  id: string;
  endpoint_id: string;
  name: string;
  description: string;
  status: string;
  status_reason: string;
  is_default: boolean;
  gateway_status: string;
  url: string;
  /** The stage URL on the inference gateway's own port (the fast one). */
  gateway_url?: string;
  instance_type: string;
  instance_count: number;
  node_autoscaler: { [key: string]: unknown };
  nodes: number;
  pods_ready: number;
  pods_total: number;
  resources: IStageResource[];
  created_at: string;
  updated_at: string;
  history?: IStatusEvent[] | null;
}

export interface IApiKey {
  id: string;
  endpoint_id: string;
  name: string;
  /** `emk_1a2b3c4d_********wxyz`. */
  masked: string;
  created_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
  /** The key itself: only in the answer that created it. */
  key: string | null;
}

export interface IEndpoint extends IResource {
  backend: string;
  default_stage_id: string | null;
  default_stage_name?: string | null;
  default_stage_url: string;
  /** The default stage URL on the inference gateway's own port (the fast one). */
  default_stage_gateway_url?: string;
  gateway_status: string;
  stage_count: number;
  stages?: IStage[] | null;
  history?: IStatusEvent[] | null;
  /** The first API key: only in the answer that created the endpoint. */
  api_key?: IApiKey | null;
}

export interface ILatency {
  avg: number | null;
  max: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
}

export interface IStatsPoint {
  time: string;
  calls: number;
  success: number;
  failure: number;
  latency_ms: ILatency;
}

export interface IStageStats {
  endpoint_id: string;
  stage_id: string;
  stage_name: string;
  interval_seconds: number;
  since: string;
  until: string;
  totals: IStatsPoint;
  points: IStatsPoint[];
}

export interface IEndpointStats {
  endpoint_id: string;
  name: string;
  calls: number;
  success: number;
  failure: number;
  stages: { stage_id: string; stage_name: string; calls: number; success: number; failure: number }[];
}

export interface IUsageSample {
  time: string;
  cpu_percent: number | null;
  memory_bytes: number | null;
  gpu_percent: number | null;
  gpu_memory_bytes: number | null;
}

export interface IStageMonitoring {
  endpoint_id: string;
  stage_id: string;
  resources: { resource_id: string; model_name: string; pods_ready: number; pods_total: number; usage: IUsageSample[] }[];
}

export interface IStageGateway {
  stage_id: string;
  gateway_status: string;
  url: string;
  gateway_url?: string;
  default_stage_url: string | null;
  default_stage_gateway_url?: string | null;
  authentication: string;
  routable?: boolean;
  default?: boolean;
  /** Model name -> its servers. */
  models?: { [model: string]: string[] };
  in_flight?: { [model: string]: number };
  /** The gateway's Open Inference Protocol gRPC side (null when the grpc_port option is off). */
  grpc?: { address: string; metadata: { [key: string]: string }; authentication: string } | null;
}

/** One inference log record (the guide's fields plus status and latency). */
export interface IInferenceLog {
  id: number;
  time: string;
  category: string;
  logLevel: string;
  logType: string;
  body: string;
  endpointId: string;
  endpointStageId: string;
  inferenceId: string;
  action: string;
  modelName: string;
  status: number;
  latencyMs: number;
  apiKeyId?: string;
}

export interface IInferenceLogs {
  stage_id: string;
  records: IInferenceLog[];
  next_after: number;
}

interface IItems<T> {
  items: T[];
  total: number;
}

export class EndpointsApi extends ResourceApi<IEndpoint> {
  constructor(client: ApiClient) {
    super(client, 'endpoints', 'endpoint');
  }

  /** The `kind` of stage and stage-resource change events. */
  readonly stageKind = 'endpoint stage';
  readonly resourceKind = 'stage resource';

  stages(ref: string): Promise<IStage[]> {
    return this.client.get<IItems<IStage>>(`${this.item(ref)}/stages`).then(a => a.items);
  }

  /** One stage with its resources and status history. */
  stage(ref: string, stage: string): Promise<IStage> {
    return this.client.get<IStage>(this.stagePath(ref, stage));
  }

  createStage(ref: string, body: Record<string, unknown>): Promise<IStage> {
    return this.client.post<IStage>(`${this.item(ref)}/stages`, body);
  }

  deleteStage(ref: string, stage: string): Promise<void> {
    return this.client.delete(this.stagePath(ref, stage));
  }

  retryStage(ref: string, stage: string): Promise<IStage> {
    return this.client.post<IStage>(`${this.stagePath(ref, stage)}/retry`);
  }

  /** Route the default stage URL to another ACTIVE stage (the old default drains, then goes). */
  setDefaultStage(ref: string, stage: string): Promise<IEndpoint> {
    return this.client.post<IEndpoint>(`${this.item(ref)}/default-stage`, { stage });
  }

  /** Change a stage's description (the only field of a stage that changes after creation). */
  updateStage(ref: string, stage: string, body: { description: string }): Promise<IStage> {
    return this.client.patch<IStage>(this.stagePath(ref, stage), body);
  }

  addResource(ref: string, stage: string, body: Record<string, unknown>): Promise<IStageResource> {
    return this.client.post<IStageResource>(`${this.stagePath(ref, stage)}/resources`, body);
  }

  /** One stage resource with its status history. */
  resource(ref: string, stage: string, resource: string): Promise<IStageResource> {
    return this.client.get<IStageResource>(`${this.stagePath(ref, stage)}/resources/${encodeURIComponent(resource)}`);
  }

  deleteResource(ref: string, stage: string, resource: string): Promise<void> {
    return this.client.delete(`${this.stagePath(ref, stage)}/resources/${encodeURIComponent(resource)}`);
  }

  /** The model servers' own output (start-up, load errors) as text. */
  resourceLogs(ref: string, stage: string, resource: string, tail = 200): Promise<string> {
    return this.client.text(`${this.stagePath(ref, stage)}/resources/${encodeURIComponent(resource)}/logs`, { tail });
  }

  statistics(ref: string, stage: string, query: { since?: string; until?: string; interval?: number } = {}): Promise<IStageStats> {
    return this.client.get<IStageStats>(`${this.stagePath(ref, stage)}/statistics`, query);
  }

  /** Calls, successes and failures per stage. */
  endpointStatistics(ref: string, since?: string): Promise<IEndpointStats> {
    return this.client.get<IEndpointStats>(`${this.item(ref)}/statistics`, { since });
  }

  monitoring(ref: string, stage: string, since?: string): Promise<IStageMonitoring> {
    return this.client.get<IStageMonitoring>(`${this.stagePath(ref, stage)}/monitoring`, { since });
  }

  gateway(ref: string, stage: string): Promise<IStageGateway> {
    return this.client.get<IStageGateway>(`${this.stagePath(ref, stage)}/gateway`);
  }

  /** Inference logs after record `after` (oldest first). */
  logs(ref: string, stage: string, query: { after?: number; limit?: number; query?: string } = {}): Promise<IInferenceLogs> {
    return this.client.get<IInferenceLogs>(`${this.stagePath(ref, stage)}/logs`, query);
  }

  apiKeys(ref: string): Promise<IApiKey[]> {
    return this.client.get<IItems<IApiKey>>(`${this.item(ref)}/api-keys`).then(a => a.items);
  }

  /** A new key; `key` is in this answer only. */
  createApiKey(ref: string, name: string): Promise<IApiKey> {
    return this.client.post<IApiKey>(`${this.item(ref)}/api-keys`, { name });
  }

  revokeApiKey(ref: string, key: string): Promise<IApiKey> {
    return this.client.request<IApiKey>(`${this.item(ref)}/api-keys/${encodeURIComponent(key)}`, { method: 'DELETE' });
  }

  private stagePath(ref: string, stage: string): string {
    return `${this.item(ref)}/stages/${encodeURIComponent(stage)}`;
  }
}

/** The endpoints API over the context's client. */
export const endpointsApi = familyApi(client => new EndpointsApi(client));
