/** The API layer: one object per resource family, all over one ApiClient. */
import { BatchInferencesApi } from './batch';
import { ApiClient } from './client';
import { EndpointsApi } from './endpoints';
import { EvaluationsApi } from './evaluations';
import { ExperimentsApi } from './experiments';
import { TuningsApi } from './hpo';
import { MetaApi } from './meta';
import { ModelsApi } from './models';
import { TemplatesApi } from './templates';
import { TrainingsApi } from './trainings';

export interface IEasyMakerApi {
  client: ApiClient;
  meta: MetaApi;
  experiments: ExperimentsApi;
  trainings: TrainingsApi;
  templates: TemplatesApi;
  tunings: TuningsApi;
  models: ModelsApi;
  endpoints: EndpointsApi;
  batchInferences: BatchInferencesApi;
  evaluations: EvaluationsApi;
}

export function createApi(client: ApiClient = new ApiClient()): IEasyMakerApi {
  return {
    client,
    meta: new MetaApi(client),
    experiments: new ExperimentsApi(client),
    trainings: new TrainingsApi(client),
    templates: new TemplatesApi(client),
    tunings: new TuningsApi(client),
    models: new ModelsApi(client),
    endpoints: new EndpointsApi(client),
    batchInferences: new BatchInferencesApi(client),
    evaluations: new EvaluationsApi(client)
  };
}
