/**
 * Shapes of the jupyter-easymaker REST API (see `schemas/*.py` on the server
 * and `GET easymaker/api/v1/openapi.json`). Types only: no code, no imports.
 */

/** `GET {base}easymaker/api/v1/`: the version handshake. */
export interface IHandshake {
  name?: string;
  version: string;
  api_version?: string;
  capabilities: ICapabilities;
}

export interface IInstanceType {
  name: string;
  cpu: number;
  memory_mib: number;
  gpu: number;
  description?: string;
}

export interface ICapabilities {
  /** Areas the server implements (`dashboard`, `experiments`, `trainings`, ...). */
  areas?: string[];
  backends?: { [name: string]: { [key: string]: unknown } };
  default_backend?: string;
  instance_types?: IInstanceType[];
  default_instance_type?: string;
  /** The server can start TensorBoard processes (POST tensorboards). */
  tensorboard?: boolean;
  events?: string;
  log_streaming?: string;
  [key: string]: unknown;
}

/** A page of a list endpoint. */
export interface IPage<T> {
  items: T[];
  total: number;
  offset: number;
  limit: number;
}

/** Query of a list endpoint. */
export interface IListParams {
  offset?: number;
  limit?: number;
  /** `-created_at` (default), `name`, `status`, `updated_at`; `-` for descending. */
  sort?: string;
  status?: string[];
  /** Substring of the name or description. */
  name?: string;
  /** Trainings only: those of one experiment. */
  experiment_id?: string;
}

export interface IStatusEvent {
  status: string;
  reason: string;
  at: string;
}

/** What every resource has. */
export interface IResource {
  id: string;
  name: string;
  description: string;
  status: string;
  status_reason: string;
  created_at: string;
  updated_at: string;
}

/** A structured log record (the guide's Log & Crash fields). */
export interface ILogRecord {
  id: number;
  time: string;
  body: string;
  logLevel?: string;
  logType?: string;
  category?: string;
  [key: string]: unknown;
}

export interface IMetricSeries {
  name: string;
  steps: number[];
  values: number[];
  last?: number | null;
}

export interface IUsageSample {
  time: string;
  cpu_percent?: number | null;
  memory_bytes?: number | null;
  gpu_percent?: number | null;
  gpu_memory_bytes?: number | null;
  [key: string]: unknown;
}

export interface IMetrics {
  training_id?: string;
  metrics: IMetricSeries[];
  usage: IUsageSample[];
}

/** One message of `GET events`. */
export interface IChangeEvent {
  seq: number;
  /** `training`, `experiment`, `training template`, ... */
  kind: string;
  id: string;
  /** `created`, `status`, `updated`, `deleted`, `logs`. */
  change: string;
  status?: string;
  name?: string;
  /** Stage and stage-resource events: the endpoint they belong to. */
  endpoint_id?: string;
}

export interface IAlgorithmHyperparameter {
  name: string;
  type: string;
  default?: unknown;
  required?: boolean;
  choices?: string[];
  min?: number;
  max?: number;
  description?: string;
}

export interface IAlgorithm {
  name: string;
  title?: string;
  description?: string;
  hyperparameters?: IAlgorithmHyperparameter[];
  metrics?: unknown[];
  [key: string]: unknown;
}

/** An error answer of the API: `{"error", "reason", "field"}`. */
export interface IErrorBody {
  error?: string;
  reason?: string;
  field?: string | null;
  message?: string;
}
