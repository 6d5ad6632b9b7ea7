/**
 * The API every panel shares: one client, and the server-wide calls
 * (handshake, OpenAPI document, algorithms, instance types). Each area has
 * its own API module (`areas/<family>/api.ts`) over the same client, made
 * with `familyApi`, so adding an area adds no field here.
 */
import { ApiClient } from './client';
import { MetaApi } from './meta';

export interface IEasyMakerApi {
  client: ApiClient;
  meta: MetaApi;
}

export function createApi(client: ApiClient = new ApiClient()): IEasyMakerApi {
  return { client, meta: new MetaApi(client) };
}

/** Whatever carries the API (the EasyMakerContext, or a bare `{ api }` in tests). */
export interface IHasApi {
  readonly api: { readonly client: ApiClient };
}

/**
 * The accessor of a family's API object: made once per client
 * (`modelsApi(ctx).list()`).
 */
export function familyApi<T>(make: (client: ApiClient) => T): (owner: IHasApi) => T {
  const made = new WeakMap<ApiClient, T>();
  return owner => {
    const client = owner.api.client;
    let api = made.get(client);
    if (api === undefined) {
      api = make(client);
      made.set(client, api);
    }
    return api;
  };
}
