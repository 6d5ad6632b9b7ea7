import { familyApi } from '../../shared/api';
import type { ApiClient } from '../../shared/api/client';
import { ResourceApi } from '../../shared/api/resources';
import type { IResource } from '../../shared/api/types';

export interface IExperiment extends IResource {
  training_count?: number;
  tensorboard_log_dir?: string;
}

export interface IExperimentCreate {
  name: string;
  description?: string;
}

export class ExperimentsApi extends ResourceApi<IExperiment, IExperimentCreate> {
  constructor(client: ApiClient) {
    super(client, 'experiments', 'experiment');
  }

  /** Retry a failed creation (CREATE FAILED). */
  retry(ref: string): Promise<IExperiment> {
    return this.client.post<IExperiment>(`${this.item(ref)}/retry`);
  }
}

/** The experiments API over the context's client. */
export const experimentsApi = familyApi(client => new ExperimentsApi(client));
