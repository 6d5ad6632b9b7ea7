import type { ApiClient } from './client';
import { ResourceApi } from './resources';
import type { ITemplate } from './types';

export class TemplatesApi extends ResourceApi<ITemplate> {
  constructor(client: ApiClient) {
    super(client, 'training-templates', 'training template');
  }
}
