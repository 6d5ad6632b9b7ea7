/** Hyperparameter tunings and their trials (`hyperparameter-tunings`). */
import { familyApi } from '../../shared/api';
import type { ApiClient } from '../../shared/api/client';
import { ResourceApi } from '../../shared/api/resources';
import type { ILogRecord, IMetrics, IPage, IResource, IStatusEvent } from '../../shared/api/types';
import type { ITrainingSpec } from '../trainings/api';

export interface ITrialCounts {
  total: number;
  completed: number;
  running: number;
  failed: number;
  early_stopped: number;
  killed: number;
}

export interface ITrial {
  id: string;
  tuning_id: string;
  number: number;
  name: string;
  status: string;
  status_reason: string;
  parameters: { [name: string]: unknown };
  objective_value?: number | null;
  metrics: { [name: string]: unknown };
  is_best: boolean;
  created_at: string;
  updated_at: string;
  started_at?: string | null;
  finished_at?: string | null;
  elapsed_seconds?: number | null;
  exit_code?: number | null;
  model_dir: string;
  tensorboard_log_dir: string;
  history?: IStatusEvent[] | null;
}

/** One searched hyperparameter of a tuning's spec. */
export interface IParameterSpec {
  name: string;
  type: 'int' | 'double' | 'categorical';
  min?: number | null;
  max?: number | null;
  step?: number | null;
  log?: boolean;
  values?: unknown[] | string | null;
}

export interface ITuning extends IResource {
  status_detail: string;
  experiment_id: string;
  experiment_name?: string | null;
  template_id?: string | null;
  spec: ITrainingSpec & { parameters?: IParameterSpec[]; [key: string]: unknown };
  backend: string;
  strategy: string;
  sampler: string;
  objective_metric: string;
  goal: 'minimize' | 'maximize';
  target_value?: number | null;
  max_trials: number;
  parallel_trials: number;
  instance_count: number;
  started_at?: string | null;
  finished_at?: string | null;
  elapsed_seconds?: number | null;
  trials: ITrialCounts;
  best_trial?: ITrial | null;
  tensorboard_log_dir: string;
  history?: IStatusEvent[] | null;
}

/** One trial's objective series (`GET .../metrics`). */
export interface ITrialSeries {
  trial_id: string;
  number: number;
  status: string;
  parameters: { [name: string]: unknown };
  objective_value?: number | null;
  steps: number[];
  values: number[];
}

export interface ITuningMetrics {
  tuning_id: string;
  objective_metric: string;
  goal: 'minimize' | 'maximize';
  target_value?: number | null;
  parameters: IParameterSpec[];
  best_trial_id?: string | null;
  trials: ITrialSeries[];
}

export interface IBestTrial {
  trial_id: string;
  number: number;
  name: string;
  objective_metric: string;
  objective_value: number;
  parameters: { [name: string]: unknown };
  hyperparameters: { [name: string]: string };
  metrics: { [name: string]: unknown };
  model_dir: string;
  checkpoint_dir: string;
}

export class TuningsApi extends ResourceApi<ITuning> {
  constructor(client: ApiClient) {
    super(client, 'hyperparameter-tunings', 'hyperparameter tuning');
  }

  /**
   * The `kind` of a trial's status history entries. Trial changes are not
   * events of their own: they arrive as the tuning's change events
   * (`kind` = this.kind, `id` = the tuning) with `change: "trial"` and
   * `trial_id`, `trial_status`, `number`; new log lines as `change: "logs"`
   * with `trial_id`.
   */
  readonly trialKind = 'hyperparameter tuning trial';

  stop(ref: string): Promise<ITuning> {
    return this.client.post<ITuning>(`${this.item(ref)}/stop`);
  }

  trials(ref: string, params: { offset?: number; limit?: number; sort?: string; status?: string[] } = {}): Promise<IPage<ITrial>> {
    return this.client.get<IPage<ITrial>>(`${this.item(ref)}/trials`, params);
  }

  trial(ref: string, trial: string | number): Promise<ITrial> {
    return this.client.get<ITrial>(`${this.item(ref)}/trials/${encodeURIComponent(String(trial))}`);
  }

  trialMetrics(ref: string, trial: string | number): Promise<IMetrics> {
    return this.client.get<IMetrics>(`${this.item(ref)}/trials/${encodeURIComponent(String(trial))}/metrics`);
  }

  trialLogs(ref: string, trial: string | number, after = 0, limit = 1000): Promise<{ records: ILogRecord[]; next_after: number; status: string }> {
    return this.client.get(`${this.item(ref)}/trials/${encodeURIComponent(String(trial))}/logs`, { after, limit });
  }

  /** Parameters, objective and intermediate values of every trial (the charts' data). */
  metrics(ref: string): Promise<ITuningMetrics> {
    return this.client.get<ITuningMetrics>(`${this.item(ref)}/metrics`);
  }

  best(ref: string): Promise<IBestTrial> {
    return this.client.get<IBestTrial>(`${this.item(ref)}/best`);
  }

  logs(ref: string, after = 0, limit = 1000): Promise<{ records: ILogRecord[]; next_after: number; status: string }> {
    return this.client.get(`${this.item(ref)}/logs`, { after, limit });
  }
}

/** The tuning API over the context's client. */
export const tuningsApi = familyApi(client => new TuningsApi(client));
