/** Endpoints, their stages, stage resources, API keys and API statistics. */
import type { ApiClient } from './client';
import { ResourceApi } from './resources';
import type { IResource, IStatusEvent } from './types';

export interface IEndpoint extends IResource {
  backend: string;
  default_stage_id: string | null;
  default_stage_name?: string | null;
  default_stage_url: string;
  gateway_status: string;
  stage_count: number;
  stages?: { [key: string]: unknown }[] | null;
  history?: IStatusEvent[] | null;
}

export class EndpointsApi extends ResourceApi<IEndpoint> {
  constructor(client: ApiClient) {
    super(client, 'endpoints', 'endpoint');
  }

  /** The `kind` of stage and stage-resource change events. */
  readonly stageKind = 'endpoint stage';
  readonly resourceKind = 'stage resource';
}
