/** Server-wide calls: version handshake, OpenAPI document, algorithms, instance types. */
import type { ApiClient } from './client';
import type { IAlgorithm, IHandshake, IInstanceType } from './types';

/** The subset of an OpenAPI 3.1 document the form generator reads. */
export interface IOpenApiDocument {
  openapi: string;
  components: { schemas: { [name: string]: IJsonSchema } };
  [key: string]: unknown;
}

/** A JSON schema node as pydantic writes it. */
export interface IJsonSchema {
  $ref?: string;
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: { [name: string]: IJsonSchema };
  required?: string[];
  additionalProperties?: boolean | IJsonSchema;
  items?: IJsonSchema;
  anyOf?: IJsonSchema[];
  oneOf?: IJsonSchema[];
  discriminator?: { propertyName: string; mapping?: { [tag: string]: string } };
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  [key: string]: unknown;
}

export class MetaApi {
  private _openapi: Promise<IOpenApiDocument> | null = null;

  constructor(readonly client: ApiClient) {}

  handshake(): Promise<IHandshake> {
    return this.client.get<IHandshake>('');
  }

  /** The OpenAPI document (fetched once). */
  openapi(): Promise<IOpenApiDocument> {
    if (!this._openapi) {
      this._openapi = this.client.get<IOpenApiDocument>('openapi.json');
      this._openapi.catch(() => (this._openapi = null));
    }
    return this._openapi;
  }

  async algorithms(): Promise<IAlgorithm[]> {
    return (await this.client.get<{ items: IAlgorithm[] }>('algorithms')).items;
  }

  async instanceTypes(): Promise<{ items: IInstanceType[]; default?: string }> {
    return this.client.get<{ items: IInstanceType[]; default?: string }>('instance-types');
  }
}
