/** What every resource family's API shares: list, get, create, change, delete, copy. */
import type { ApiClient } from './client';
import type { IListParams, IPage, IResource } from './types';

export class ResourceApi<T extends IResource, TCreate = { [key: string]: unknown }> {
  constructor(
    readonly client: ApiClient,
    /** Collection path below the API root (`trainings`). */
    readonly path: string,
    /** The `kind` of this family in change events (`training`). */
    readonly kind: string
  ) {}

  list(params: IListParams = {}): Promise<IPage<T>> {
    return this.client.get<IPage<T>>(this.path, {
      offset: params.offset,
      limit: params.limit,
      sort: params.sort,
      status: params.status,
      name: params.name,
      experiment_id: params.experiment_id
    });
  }

  get(ref: string): Promise<T> {
    return this.client.get<T>(this.item(ref));
  }

  create(body: TCreate): Promise<T> {
    return this.client.post<T>(this.path, body);
  }

  update(ref: string, body: Partial<TCreate>): Promise<T> {
    return this.client.patch<T>(this.item(ref), body);
  }

  remove(ref: string): Promise<void> {
    return this.client.delete(this.item(ref));
  }

  /** A create body pre-filled from an existing resource (the guide's copy). */
  copy(ref: string): Promise<TCreate> {
    return this.client.get<TCreate>(`${this.item(ref)}/copy`);
  }

  protected item(ref: string): string {
    return `${this.path}/${encodeURIComponent(ref)}`;
  }
}
