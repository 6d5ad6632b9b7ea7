/** The API layer: one object per resource family, all over one ApiClient. */
import { ApiClient } from './client';
import { ExperimentsApi } from './experiments';
import { MetaApi } from './meta';
import { TemplatesApi } from './templates';
import { TrainingsApi } from './trainings';

export interface IEasyMakerApi {
  client: ApiClient;
  meta: MetaApi;
  experiments: ExperimentsApi;
  trainings: TrainingsApi;
  templates: TemplatesApi;
}

export function createApi(client: ApiClient = new ApiClient()): IEasyMakerApi {
  return {
    client,
    meta: new MetaApi(client),
    experiments: new ExperimentsApi(client),
    trainings: new TrainingsApi(client),
    templates: new TemplatesApi(client)
  };
}
