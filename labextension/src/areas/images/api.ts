import { familyApi } from '../../shared/api';
import type { ApiClient } from '../../shared/api/client';
import { ResourceApi } from '../../shared/api/resources';
import type { IPage, IResource } from '../../shared/api/types';

export type ImageType = 'NOTEBOOK' | 'TRAINING';

export interface IImage extends IResource {
  builtin: boolean;
  address: string;
  image_type: ImageType;
  core_type?: string | null;
  framework: string;
  framework_version: string;
  python_version: string;
  registry_account_id?: string | null;
  registry_account_name?: string | null;
  local_python: string;
  /** Whether this server can run the image's work locally, and why not. */
  available: boolean;
  unavailable_reason: string;
}

/** What the image form offers of an existing registry account. */
export interface IAccountChoice {
  id: string;
  name: string;
  registry_type: string;
  registry_address: string;
}

export class ImagesApi extends ResourceApi<IImage> {
  constructor(client: ApiClient) {
    super(client, 'images', 'image');
  }

  /** The guide's base images, read-only. */
  async baseImages(imageType?: ImageType): Promise<IImage[]> {
    const answer = await this.client.get<{ items: IImage[] }>('images/base', { image_type: imageType });
    return answer.items;
  }

  /** The registry accounts an image can be pulled with (the form's "existing account"). */
  async accounts(): Promise<IAccountChoice[]> {
    const page = await this.client.get<IPage<IAccountChoice>>('registry-accounts', { limit: 500, sort: 'name' });
    return page.items;
  }
}

/** The images API over the context's client. */
export const imagesApi = familyApi(client => new ImagesApi(client));
