import { familyApi } from '../../shared/api';
import type { ApiClient } from '../../shared/api/client';
import { ResourceApi } from '../../shared/api/resources';
import type { IResource } from '../../shared/api/types';

export type RegistryType = 'NCR' | 'DOCKER_HUB' | 'OTHER';

export interface IRegistryAccount extends IResource {
  registry_type: RegistryType;
  registry_address: string;
  username: string;
  /** Always masked by the server. */
  password: string;
  /** Names of the images pulled with this account. */
  images: string[];
  /** What a credentials change may disturb (running work using its images). */
  warnings: string[];
}

export interface IRegistryAccountCreate {
  [key: string]: unknown;
  name: string;
  description?: string;
  registry_type: RegistryType;
  registry_address?: string;
  username: string;
  password: string;
}

export const REGISTRY_TYPES: readonly RegistryType[] = ['NCR', 'DOCKER_HUB', 'OTHER'];

export class RegistryAccountsApi extends ResourceApi<IRegistryAccount, IRegistryAccountCreate> {
  constructor(client: ApiClient) {
    super(client, 'registry-accounts', 'registry account');
  }

  /** The guide's second edit: the registry id and password together. */
  updateCredentials(ref: string, body: { username: string; password: string }): Promise<IRegistryAccount> {
    return this.client.post<IRegistryAccount>(`registry-accounts/${encodeURIComponent(ref)}/credentials`, body);
  }
}

/** The registry accounts API over the context's client. */
export const registryAccountsApi = familyApi(client => new RegistryAccountsApi(client));
