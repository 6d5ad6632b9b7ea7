import type { ApiClient } from './client';
import { ResourceApi } from './resources';
import type { IExperiment } from './types';

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
