import { familyApi } from '../../shared/api';
import type { ApiClient } from '../../shared/api/client';
import { ResourceApi } from '../../shared/api/resources';
import type { IResource } from '../../shared/api/types';
import type { ITrainingSpec } from '../trainings/api';

export interface ITemplate extends IResource {
  spec: ITrainingSpec;
  hyperparameter_names?: string[];
}

export class TemplatesApi extends ResourceApi<ITemplate> {
  constructor(client: ApiClient) {
    super(client, 'training-templates', 'training template');
  }

  /** Save a training's fields as a template (`POST trainings/{ref}/template`). */
  fromTraining(training: string, body: { name: string; description?: string }): Promise<ITemplate> {
    return this.client.post<ITemplate>(`trainings/${encodeURIComponent(training)}/template`, body);
  }
}

/** The templates API over the context's client. */
export const templatesApi = familyApi(client => new TemplatesApi(client));
