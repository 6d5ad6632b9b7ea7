/** Batch inferences (`batch-inferences`). */
import { familyApi } from '../../shared/api';
import type { ApiClient } from '../../shared/api/client';
import { ResourceApi } from '../../shared/api/resources';
import type { ILogRecord, IResource, IStatusEvent, IUsageSample } from '../../shared/api/types';

/** Records done out of the total (null while the input is being counted). */
export interface IBatchProgress {
  records_total?: number | null;
  records_done: number;
  errors: number;
  percent?: number | null;
}

export interface IBatchInference extends IResource {
  model_id: string;
  model_name?: string | null;
  evaluation_id?: string | null;
  spec: { [key: string]: unknown };
  backend: string;
  input_path: string;
  output_path: string;
  progress: IBatchProgress;
  /** summary.json of a COMPLETE batch inference. */
  result: { [key: string]: unknown };
  exit_code?: number | null;
  started_at?: string | null;
  finished_at?: string | null;
  elapsed_seconds?: number | null;
  history?: IStatusEvent[] | null;
}

/** A page of one output file's lines. */
export interface IBatchOutputs {
  batch_inference_id: string;
  file: string;
  offset: number;
  lines: { [key: string]: unknown }[];
  next_offset: number | null;
  [key: string]: unknown;
}

export interface IBatchMonitoring {
  progress?: { time: string; records_done: number; errors?: number }[];
  usage?: IUsageSample[];
  [key: string]: unknown;
}

export class BatchInferencesApi extends ResourceApi<IBatchInference> {
  constructor(client: ApiClient) {
    super(client, 'batch-inferences', 'batch inference');
  }

  stop(ref: string): Promise<IBatchInference> {
    return this.client.post<IBatchInference>(`${this.item(ref)}/stop`);
  }

  outputs(ref: string, params: { file?: string; offset?: number; limit?: number } = {}): Promise<IBatchOutputs> {
    return this.client.get<IBatchOutputs>(`${this.item(ref)}/outputs`, params);
  }

  logs(ref: string, after = 0, limit = 1000): Promise<{ records: ILogRecord[]; next_after: number }> {
    return this.client.get(`${this.item(ref)}/logs`, { after, limit });
  }

  monitoring(ref: string): Promise<IBatchMonitoring> {
    return this.client.get<IBatchMonitoring>(`${this.item(ref)}/monitoring`);
  }
}

/** The batch API over the context's client. */
export const batchInferencesApi = familyApi(client => new BatchInferencesApi(client));
