/** Model evaluations (`model-evaluations`): metrics, curves, comparison. */
import { familyApi } from '../../shared/api';
import type { ApiClient } from '../../shared/api/client';
import { ResourceApi } from '../../shared/api/resources';
import type { ILogRecord, IResource, IStatusEvent } from '../../shared/api/types';
import type { IBatchProgress } from '../batch/api';

export interface IEvaluation extends IResource {
  model_id: string;
  model_name?: string | null;
  task: 'classification' | 'regression' | string;
  class_names: string[];
  batch_inference_id?: string | null;
  batch_inference_status?: string | null;
  progress: IBatchProgress;
  spec: { [key: string]: unknown };
  backend: string;
  /** The scalar metrics (PR AUC, ROC AUC, ... or MAE, MAPE, ...). */
  metrics: { [name: string]: number | null };
  started_at?: string | null;
  finished_at?: string | null;
  elapsed_seconds?: number | null;
  history?: IStatusEvent[] | null;
}

/** `GET model-evaluations/{ref}/results`. */
export interface IEvaluationResults {
  evaluation_id: string;
  name: string;
  status: string;
  task: string;
  metrics: { [name: string]: number | null };
  result: { [key: string]: unknown };
}

/** `GET model-evaluations/compare?ids=`. */
export interface IEvaluationComparison {
  task: string;
  evaluations: {
    id: string;
    name: string;
    status: string;
    task: string;
    model_id: string;
    model_name?: string | null;
    class_names: string[];
    metrics: { [name: string]: number | null };
  }[];
  metrics: { name: string; goal: 'maximize' | 'minimize'; values: (number | null)[]; best: number | null }[];
  curves: { [kind: string]: { evaluation_id: string; name: string; [key: string]: unknown }[] };
  confusion_matrices?: { evaluation_id: string; name: string; [key: string]: unknown }[];
  [key: string]: unknown;
}

export class EvaluationsApi extends ResourceApi<IEvaluation> {
  constructor(client: ApiClient) {
    super(client, 'model-evaluations', 'model evaluation');
  }

  stop(ref: string): Promise<IEvaluation> {
    return this.client.post<IEvaluation>(`${this.item(ref)}/stop`);
  }

  results(ref: string): Promise<IEvaluationResults> {
    return this.client.get<IEvaluationResults>(`${this.item(ref)}/results`);
  }

  compare(ids: string[]): Promise<IEvaluationComparison> {
    return this.client.get<IEvaluationComparison>(`${this.path}/compare`, { ids: ids.join(',') });
  }

  logs(ref: string, after = 0, limit = 1000): Promise<{ records: ILogRecord[]; next_after: number }> {
    return this.client.get(`${this.item(ref)}/logs`, { after, limit });
  }
}

/** The evaluations API over the context's client. */
export const evaluationsApi = familyApi(client => new EvaluationsApi(client));
