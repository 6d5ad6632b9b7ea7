/** Models (`models`) and the frameworks a model can have. */
import { familyApi } from '../../shared/api';
import type { ApiClient } from '../../shared/api/client';
import { ResourceApi } from '../../shared/api/resources';
import type { IResource, IStatusEvent } from '../../shared/api/types';

export interface IModel extends IResource {
  framework: string;
  framework_version: string;
  artifact_path: string;
  model_dir: string;
  huggingface_model_id: string;
  /** Masked. */
  huggingface_token?: string | null;
  parameters: { [name: string]: unknown };
  training_id?: string | null;
  training_name?: string | null;
  hyperparameter_tuning_id?: string | null;
  trial_id?: string | null;
  artifact_info: { [key: string]: unknown };
  history?: IStatusEvent[] | null;
}

export interface IFramework {
  name: string;
  runtime: string;
  available: boolean;
  reason: string;
  tasks: string[];
}

export class ModelsApi extends ResourceApi<IModel> {
  constructor(client: ApiClient) {
    super(client, 'models', 'model');
  }

  frameworks(): Promise<IFramework[]> {
    return this.client
      .get<IFramework[] | { items: IFramework[] }>('model-frameworks')
      .then(answer => (Array.isArray(answer) ? answer : answer.items));
  }

  /** A model from a COMPLETE training's model directory. */
  fromTraining(training: string, body: { name: string; framework: string; [key: string]: unknown }): Promise<IModel> {
    return this.client.post<IModel>(`trainings/${encodeURIComponent(training)}/model`, body);
  }

  /** A model from a tuning's best trial. */
  fromTuning(tuning: string, body: { name: string; framework: string; [key: string]: unknown }): Promise<IModel> {
    return this.client.post<IModel>(`hyperparameter-tunings/${encodeURIComponent(tuning)}/model`, body);
  }
}

/** The models API over the context's client. */
export const modelsApi = familyApi(client => new ModelsApi(client));
