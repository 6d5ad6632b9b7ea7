/**
 * RAGs (`rags`): the RAG itself, its ingestions and their per-file results,
 * its API keys, API statistics, monitoring and logs, and a retrieval probe.
 * Shapes follow the area's schemas on the server (RagOut, IngestionOut, ...).
 */
import { familyApi } from '../../shared/api';
import type { ApiClient } from '../../shared/api/client';
import { ResourceApi } from '../../shared/api/resources';
import type { ILogRecord, IPage, IResource, IStatusEvent, IUsageSample } from '../../shared/api/types';

export type VectorStoreType = 'faiss' | 'pgvector';
export type RetrievalMode = 'hybrid' | 'dense' | 'bm25';
export type FileOutcome = 'added' | 'changed' | 'unchanged' | 'deleted' | 'failed';

export interface IIngestionProgress {
  files_done: number;
  files_total: number | null;
  chunks: number;
  chunks_embedded: number;
  percent?: number | null;
}

export interface IIngestionResult {
  files_added: number;
  files_changed: number;
  files_deleted: number;
  files_unchanged: number;
  files_failed: number;
  chunks_total: number;
  chunks_embedded: number;
  generation: number | null;
  /** The settings' fingerprint changed: every file was read again. */
  reindexed: boolean;
  duration_seconds: number | null;
}

/** One ingestion run (at creation, or a sync). */
export interface IIngestion {
  id: string;
  rag_id: string;
  status: string;
  status_reason: string;
  trigger: 'create' | 'sync' | string;
  requested_by: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  elapsed_seconds: number | null;
  progress: IIngestionProgress | null;
  /** The job's summary; empty (or null) until the ingestion has ended. */
  result: Partial<IIngestionResult> | null;
}

/** What an ingestion did with one file. */
export interface IIngestionFile {
  path: string;
  outcome: FileOutcome | string;
  reason_code: string | null;
  reason: string | null;
  size_bytes: number | null;
  chunks: number | null;
}

export interface IRagVectorStore {
  type: VectorStoreType | string;
  /** pgvector: the connection URL with the password as `***`. */
  url?: string | null;
  password_set?: boolean;
}

export interface IRagLlm {
  type: 'endpoint' | 'external' | string;
  /** The endpoint's name (type endpoint). */
  endpoint?: string | null;
  base_url?: string | null;
  model?: string | null;
  api_key_set?: boolean;
  instance_type?: string | null;
  instance_count?: number | null;
  max_tokens?: number | null;
  temperature?: number | null;
}

export interface IRag extends IResource {
  /** DEPLOYING, COMPLETE, FAILURE; null before the query server is deployed. */
  gateway_status: string | null;
  instance_type: string;
  instance_count: number;
  prompt_template: string;
  default_prompt_template: string;
  vector_store: IRagVectorStore;
  data_path: string;
  chunking: { size: number; overlap: number };
  retrieval: { mode: RetrievalMode | string; top_k: number };
  embedding: { model: string; instance_type?: string | null; instance_count?: number | null; dimension?: number | null };
  llm: IRagLlm;
  log_enabled: boolean;
  query_url: string;
  openai_base_url: string;
  files: number;
  chunks: number;
  live_generation: number | null;
  last_ingestion: IIngestion | null;
  history?: IStatusEvent[] | null;
}

/** A passage the answer was grounded on. */
export interface ISource {
  file: string;
  chunk: number | string;
  score: number;
  text: string;
}

export interface IRetrieveAnswer {
  mode: string;
  top_k: number;
  took_ms: number;
  sources: ISource[];
}

export interface IRagApiKey {
  id: string;
  rag_id?: string;
  name: string;
  /** `emk_1a2b3c4d_********wxyz`. */
  masked: string;
  created_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
  /** The key itself: only in the answer that created it. */
  key: string | null;
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

/** Calls, successes, failures and latencies per interval (the endpoints' statistics shape). */
export interface IRagStats {
  /** Seconds per point. */
  interval?: number;
  since: string;
  until: string;
  totals: IStatsPoint;
  points: IStatsPoint[];
  [key: string]: unknown;
}

export interface IRagMonitoring {
  usage?: IUsageSample[];
  /** The query server's pods: a count, `{ready, total}`, or one entry per pod. */
  pods?: unknown;
  [key: string]: unknown;
}

export interface ILogPageOf {
  records: ILogRecord[];
  next_after: number;
  status?: string;
}

interface IItems<T> {
  items: T[];
  total?: number;
}

export class RagsApi extends ResourceApi<IRag> {
  constructor(client: ApiClient) {
    super(client, 'rags', 'rag');
  }

  /** The `kind` of ingestion change events (they name their RAG in `rag_id`). */
  readonly ingestionKind = 'rag ingestion';

  /** Start an ingestion that applies added, changed and deleted files (409 while one runs). */
  sync(ref: string): Promise<IIngestion> {
    return this.client.post<IIngestion>(`${this.item(ref)}/sync`);
  }

  /** Ingestions, newest first. */
  ingestions(ref: string, params: { offset?: number; limit?: number } = {}): Promise<IPage<IIngestion>> {
    return this.client.get<IPage<IIngestion>>(`${this.item(ref)}/ingestions`, params);
  }

  ingestion(ref: string, ingestion: string): Promise<IIngestion> {
    return this.client.get<IIngestion>(this.ingestionPath(ref, ingestion));
  }

  /** What one ingestion did per file; failed files first. */
  ingestionFiles(ref: string, ingestion: string, params: { offset?: number; limit?: number; outcome?: string } = {}): Promise<IPage<IIngestionFile>> {
    return this.client.get<IPage<IIngestionFile>>(`${this.ingestionPath(ref, ingestion)}/files`, params);
  }

  stopIngestion(ref: string, ingestion: string): Promise<IIngestion> {
    return this.client.post<IIngestion>(`${this.ingestionPath(ref, ingestion)}/stop`);
  }

  ingestionLogs(ref: string, ingestion: string, after = 0, limit = 1000): Promise<ILogPageOf> {
    return this.client.get<ILogPageOf>(`${this.ingestionPath(ref, ingestion)}/logs`, { after, limit });
  }

  /** The passages a question retrieves, without the LLM. */
  retrieve(ref: string, body: { query: string; top_k?: number; mode?: string }): Promise<IRetrieveAnswer> {
    return this.client.post<IRetrieveAnswer>(`${this.item(ref)}/retrieve`, body);
  }

  apiKeys(ref: string): Promise<IRagApiKey[]> {
    return this.client.get<IItems<IRagApiKey> | IRagApiKey[]>(`${this.item(ref)}/api-keys`).then(a => (Array.isArray(a) ? a : a.items));
  }

  /** A new key; `key` is in this answer only. */
  createApiKey(ref: string, name: string): Promise<IRagApiKey> {
    return this.client.post<IRagApiKey>(`${this.item(ref)}/api-keys`, { name });
  }

  revokeApiKey(ref: string, key: string): Promise<unknown> {
    return this.client.request<unknown>(`${this.item(ref)}/api-keys/${encodeURIComponent(key)}`, { method: 'DELETE' });
  }

  /** API statistics: calls, successes, failures and latency percentiles per interval. */
  statistics(ref: string, query: { since?: string; until?: string; interval?: number } = {}): Promise<IRagStats> {
    return this.client.get<IRagStats>(`${this.item(ref)}/statistics`, query);
  }

  /** The query servers' own output (start-up, load errors), as text. */
  serverLogs(ref: string, tail = 200): Promise<string> {
    return this.client.text(`${this.item(ref)}/server-logs`, { tail });
  }

  monitoring(ref: string, since?: string): Promise<IRagMonitoring> {
    return this.client.get<IRagMonitoring>(`${this.item(ref)}/monitoring`, { since });
  }

  /** The query server's log records after record `after`. */
  logs(ref: string, after = 0, limit = 1000): Promise<ILogPageOf> {
    return this.client.get<ILogPageOf>(`${this.item(ref)}/logs`, { after, limit });
  }

  private ingestionPath(ref: string, ingestion: string): string {
    return `${this.item(ref)}/ingestions/${encodeURIComponent(ingestion)}`;
  }
}

/** The RAG API over the context's client. */
export const ragsApi = familyApi(client => new RagsApi(client));
