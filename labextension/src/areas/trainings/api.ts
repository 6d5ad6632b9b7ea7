import { familyApi } from '../../shared/api';
import type { ApiClient } from '../../shared/api/client';
import { ResourceApi } from '../../shared/api/resources';
import type { ILogRecord, IMetrics, IResource, IStatusEvent } from '../../shared/api/types';

export interface ITraining extends IResource {
  experiment_id: string;
  experiment_name?: string | null;
  template_id?: string | null;
  spec: ITrainingSpec;
  backend: string;
  exit_code?: number | null;
  started_at?: string | null;
  finished_at?: string | null;
  elapsed_seconds?: number | null;
  model_dir?: string;
  tensorboard_log_dir?: string;
  history?: IStatusEvent[] | null;
}

export type HyperparameterValue = string | number | boolean;

/** The training fields a training and a template share (schemas/trainings.py). */
export interface ITrainingSpec {
  algorithm?: {
    type: 'custom' | 'builtin';
    source_dir?: string | null;
    entry_point?: string;
    name?: string;
  };
  hyperparameters?: { [key: string]: HyperparameterValue };
  image?: string;
  instance_type?: string | null;
  nodes?: number;
  use_torchrun?: boolean;
  nproc_per_node?: number;
  datasets?: { name: string; path: string }[];
  checkpoint_input_path?: string | null;
  output_path?: string | null;
  checkpoint_path?: string | null;
  data_storage_gb?: number | null;
  max_run_seconds?: number | null;
  log_enabled?: boolean;
  [key: string]: unknown;
}

export interface ILogPage {
  training_id: string;
  status: string;
  records: ILogRecord[];
  next_after: number;
}

/** Body of `POST trainings/from-file` ("Submit as training" on a file). */
export interface ISubmitFileBody {
  /** Path of a notebook or .py file, relative to the server root. */
  path: string;
  name: string;
  experiment_name?: string;
  experiment_id?: string;
  instance_type?: string;
  backend?: string;
  [key: string]: unknown;
}

export class TrainingsApi extends ResourceApi<ITraining> {
  constructor(client: ApiClient) {
    super(client, 'trainings', 'training');
  }

  stop(ref: string): Promise<ITraining> {
    return this.client.post<ITraining>(`${this.item(ref)}/stop`);
  }

  logs(ref: string, after = 0, limit = 1000): Promise<ILogPage> {
    return this.client.get<ILogPage>(`${this.item(ref)}/logs`, { after, limit });
  }

  /**
   * Stream log records after `after` until the training has ended (the
   * server then sends `end`) or `signal` aborts. Resolves with the final
   * status, or null when the stream was cut before the end.
   */
  async followLogs(
    ref: string,
    after: number,
    onRecord: (record: ILogRecord) => void,
    signal: AbortSignal
  ): Promise<string | null> {
    let final: string | null = null;
    await this.client.stream(
      `${this.item(ref)}/logs`,
      event => {
        if (event.event === 'log') {
          onRecord(JSON.parse(event.data) as ILogRecord);
        } else if (event.event === 'end') {
          final = (JSON.parse(event.data || '{}') as { status?: string }).status ?? '';
        }
      },
      signal,
      { follow: true, after }
    );
    return final;
  }

  /** The whole log as plain text (what the download button saves). */
  logText(ref: string): Promise<string> {
    return this.client.text(`${this.item(ref)}/logs`, { format: 'text', limit: 10000 });
  }

  metrics(ref: string): Promise<IMetrics> {
    return this.client.get<IMetrics>(`${this.item(ref)}/metrics`);
  }

  /** Submit a notebook or script of the file browser as a training. */
  fromFile(body: ISubmitFileBody): Promise<ITraining> {
    return this.client.post<ITraining>(`${this.path}/from-file`, body);
  }
}

/** The trainings API over the context's client. */
export const trainingsApi = familyApi(client => new TrainingsApi(client));
