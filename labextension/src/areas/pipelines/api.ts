/**
 * Pipelines (`pipelines`) and pipeline runs (`pipeline-runs`): uploaded
 * Kubeflow Pipelines v2 IR, its graph, and its runs with their tasks, task
 * logs and artifacts. Shapes follow the area's schemas on the server
 * (PipelineOut, PipelineGraphOut, PipelineRunOut, PipelineRunTaskOut, ...).
 */
import { familyApi } from '../../shared/api';
import { type ApiClient, errorFromBody } from '../../shared/api/client';
import { ResourceApi } from '../../shared/api/resources';
import type { IListParams, ILogRecord, IPage, IResource, IStatusEvent, IUsageSample } from '../../shared/api/types';

/** A run parameter the pipeline takes (root.inputDefinitions). */
export interface IPipelineInput {
  name: string;
  /** KFP parameterType (`NUMBER_INTEGER`, `STRING`, ...) or an artifact's schemaTitle. */
  type: string;
  kind: 'parameter' | 'artifact';
  default: unknown;
  optional: boolean;
  description?: string;
}

export interface IPipelineSummary {
  pipeline_name?: string;
  description?: string;
  sdk_version?: string;
  schema_version?: string;
  task_count?: number;
  features?: string[];
}

export interface IPipeline extends IResource {
  filename: string;
  source_format: string;
  pipeline_name: string;
  sdk_version: string;
  schema_version: string;
  inputs: IPipelineInput[];
  summary: IPipelineSummary;
  run_count: number;
  history?: IStatusEvent[] | null;
}

export interface IGraphPort {
  name: string;
  type: string;
  kind: string;
}

/** One node of a pipeline's graph; ids are task paths from the root DAG (`condition-1/print-msg`). */
export interface IGraphNode {
  id: string;
  name: string;
  /** The enclosing DAG node, or null at the root. */
  parent: string | null;
  kind: 'python' | 'container' | 'importer' | 'dag' | string;
  control: null | 'condition' | 'loop' | 'exit-handler' | string;
  condition: string | null;
  iterator: { items: unknown; parallelism: number | null; source?: string } | null;
  /** Runs when its upstream tasks ended, whatever their state (an exit task). */
  exit_handler: boolean;
  component: string;
  executor: string | null;
  image?: string | null;
  command?: string[] | null;
  args?: string[] | null;
  /** The embedded Python source of a lightweight component. */
  function?: string | null;
  inputs: IGraphPort[];
  outputs: IGraphPort[];
  retry?: { max_retry_count?: number; [key: string]: unknown } | null;
  cache?: boolean;
}

export interface IGraphEdge {
  source: string;
  target: string;
  kind: 'dependency' | 'data' | string;
}

export interface IPipelineGraph {
  nodes: IGraphNode[];
  edges: IGraphEdge[];
}

export interface IPipelineGraphAnswer extends IPipelineGraph {
  pipeline_id: string;
  name: string;
  status: string;
}

export interface ITaskCounts {
  total: number;
  by_state: { [state: string]: number };
}

/** An artifact a task produced (KFP's runtime artifact). */
export interface IArtifactItem {
  name?: string;
  type?: string;
  uri?: string;
  metadata?: { [key: string]: unknown };
}

export interface ITaskOutputs {
  parameters?: { [name: string]: unknown };
  artifacts?: { [name: string]: IArtifactItem[] };
}

export interface IPipelineRun extends IResource {
  pipeline_id?: string | null;
  pipeline_name: string;
  experiment_id: string;
  experiment_name?: string | null;
  schedule_id?: string | null;
  schedule_name?: string | null;
  parameters: { [name: string]: unknown };
  instance_type: string;
  instance_count: number;
  boot_storage_gb?: number | null;
  nas: { mount_dir_name: string; nas_path: string }[];
  log_management: boolean;
  cache: boolean;
  backend: string;
  remote_run_id?: string | null;
  /** result.json: the run's state, its pipeline outputs and its error. */
  result: { state?: string; error?: string | null; outputs?: ITaskOutputs };
  exit_code?: number | null;
  started_at?: string | null;
  finished_at?: string | null;
  elapsed_seconds?: number | null;
  artifacts_expire_at?: string | null;
  artifacts_purged?: boolean;
  tasks: ITaskCounts;
  /** The pipeline's graph (in the answer of one run). */
  graph?: IPipelineGraph | null;
  history?: IStatusEvent[] | null;
}

/** One attempt of a task of a local run: its job on the job lifecycle. */
export interface IPipelineTaskJob {
  id: string;
  name: string;
  attempt: number;
  status: string;
  status_reason: string;
  exit_code?: number | null;
  started_at?: string | null;
  finished_at?: string | null;
}

/** One task of a run (`for-loop-2.1/print-text` for an iteration's task). */
export interface IPipelineTask {
  task_id: string;
  name: string;
  parent: string | null;
  state: string;
  attempt: number;
  started_at?: string | null;
  ended_at?: string | null;
  outputs: ITaskOutputs;
  error?: string | null;
  /** Its attempts' jobs, oldest first (a local run's container task). */
  jobs?: IPipelineTaskJob[];
}

export interface IPipelineTasks {
  run_id: string;
  status: string;
  counts: ITaskCounts;
  items: IPipelineTask[];
}

export interface ITaskLogs {
  run_id: string;
  task_id: string;
  lines: string[];
  offset: number;
  next_offset: number | null;
}

/** A file a task wrote as an output artifact, relative to the run's tasks folder. */
export interface IArtifactFile {
  path: string;
  task_folder: string;
  output: string;
  size_bytes: number;
}

export interface IRunArtifacts {
  run_id: string;
  purged: boolean;
  expire_at: string | null;
  files: IArtifactFile[];
}

export interface IRunMonitoring {
  status: string;
  tasks: ITaskCounts;
  usage?: IUsageSample[];
}

/** The upload's fields (the file travels as base64: a zip is bytes, and the server decodes YAML itself). */
export interface IPipelineUpload {
  name: string;
  description: string;
  filename: string;
  content_base64: string;
}

export class PipelinesApi extends ResourceApi<IPipeline> {
  constructor(client: ApiClient) {
    super(client, 'pipelines', 'pipeline');
  }

  upload(body: IPipelineUpload): Promise<IPipeline> {
    return this.client.post<IPipeline>(this.path, body);
  }

  graph(ref: string): Promise<IPipelineGraphAnswer> {
    return this.client.get<IPipelineGraphAnswer>(`${this.item(ref)}/graph`);
  }

  /** The pipeline as KFP IR YAML. */
  download(ref: string): Promise<string> {
    return this.client.text(`${this.item(ref)}/download`);
  }
}

export class PipelineRunsApi extends ResourceApi<IPipelineRun> {
  constructor(client: ApiClient) {
    super(client, 'pipeline-runs', 'pipeline run');
  }

  /** Runs of one pipeline or one schedule (name or id). */
  listOf(filter: { pipeline_name?: string; schedule_name?: string }, params: IListParams = {}): Promise<IPage<IPipelineRun>> {
    const { offset, limit, sort, status, name } = params;
    return this.client.get<IPage<IPipelineRun>>(this.path, { offset, limit, sort, status, name, ...filter });
  }

  stop(ref: string): Promise<IPipelineRun> {
    return this.client.post<IPipelineRun>(`${this.item(ref)}/stop`);
  }

  tasks(ref: string): Promise<IPipelineTasks> {
    return this.client.get<IPipelineTasks>(`${this.item(ref)}/tasks`);
  }

  taskLogs(ref: string, taskId: string, offset = 0, limit = 1000): Promise<ITaskLogs> {
    return this.client.get<ITaskLogs>(`${this.item(ref)}/tasks/${encodeURIComponent(taskId)}/logs`, { offset, limit });
  }

  artifacts(ref: string): Promise<IRunArtifacts> {
    return this.client.get<IRunArtifacts>(`${this.item(ref)}/artifacts`);
  }

  /** One artifact file (a folder comes as a zip), read with the server's authentication. */
  async artifact(ref: string, path: string): Promise<Blob> {
    const response = await this.client.fetch(`${this.item(ref)}/artifacts`, { method: 'GET' }, { path });
    if (!response.ok) {
      throw errorFromBody(response.status, response.statusText, await response.text());
    }
    return response.blob();
  }

  /** The URL of an artifact (for a link the user can copy). */
  artifactUrl(ref: string, path: string): string {
    return this.client.url(`${this.item(ref)}/artifacts`, { path });
  }

  logs(ref: string, after = 0, limit = 1000): Promise<{ records: ILogRecord[]; next_after: number; status?: string }> {
    return this.client.get(`${this.item(ref)}/logs`, { after, limit });
  }

  monitoring(ref: string): Promise<IRunMonitoring> {
    return this.client.get<IRunMonitoring>(`${this.item(ref)}/monitoring`);
  }
}

/** The pipelines API over the context's client. */
export const pipelinesApi = familyApi(client => new PipelinesApi(client));
/** The pipeline runs API over the context's client. */
export const pipelineRunsApi = familyApi(client => new PipelineRunsApi(client));
