/**
 * Model files (`modelfiles`): Open WebUI's model records (an LLM studio base
 * model with a name, avatar, system prompt, parameters, prompt suggestions,
 * knowledge, tool ids, capabilities and tags), clone, hide, import / export
 * in Open WebUI's shape, and their OpenAI-compatible API. Shapes follow the
 * area's schemas on the server (ModelFileOut, ImportOut).
 */
import { URLExt } from '@jupyterlab/coreutils';

import { familyApi } from '../../shared/api';
import { ApiClient, errorFromBody } from '../../shared/api/client';
import type { IPage } from '../../shared/api/types';

export interface IModelFileParams {
  system?: string | null;
  temperature?: number | null;
  top_p?: number | null;
  max_tokens?: number | null;
  stop?: string[] | string | null;
  seed?: number | null;
  num_ctx?: number | null;
  [key: string]: unknown;
}

export interface ISuggestion {
  content: string;
  title?: string | string[] | null;
}

export interface IKnowledge {
  id?: string;
  name?: string;
  type?: string;
  [key: string]: unknown;
}

export interface IModelFileMeta {
  profile_image_url?: string | null;
  description?: string | null;
  capabilities?: { vision?: boolean; [key: string]: unknown } | null;
  suggestion_prompts?: ISuggestion[] | null;
  knowledge?: IKnowledge[] | null;
  toolIds?: string[] | null;
  tags?: ({ name: string } | string)[] | null;
  hidden?: boolean | null;
  [key: string]: unknown;
}

/** A model file as the server answers it (every key of the record is kept). */
export interface IModelFile {
  id: string;
  user_id: string;
  base_model_id: string | null;
  name: string;
  params: IModelFileParams;
  meta: IModelFileMeta;
  is_active: boolean;
  created_at: number;
  updated_at: number;
  /** Its base model is an LLM studio model (else it cannot chat). */
  available: boolean;
  unavailable_reason: string | null;
  /** Its base model is loaded: it can chat now. */
  loaded: boolean;
  [key: string]: unknown;
}

/** Open WebUI's ModelForm. */
export interface IModelFileForm {
  id: string;
  base_model_id: string | null;
  name: string;
  params: IModelFileParams;
  meta: IModelFileMeta;
  is_active?: boolean;
}

export interface IImportError {
  index: number;
  id: string | null;
  field: string;
  reason: string;
}

export interface IImportResult {
  imported: number;
  updated: number;
  errors: IImportError[];
  models?: { index: number; id: string; action: string; available: boolean; unavailable_reason?: string | null }[];
}

/** Path of the OpenAI-compatible API of model files, below the server's base URL. */
export const MODELFILES_OPENAI_PATH = 'easymaker/api/v1/modelfiles/openai/v1';

/** The file name of a `Content-Disposition: attachment; filename="…"` header. */
export function dispositionFilename(header: string | null, fallback: string): string {
  if (!header) {
    return fallback;
  }
  const star = /filename\*\s*=\s*(?:UTF-8'')?([^;]+)/i.exec(header);
  if (star) {
    try {
      return decodeURIComponent(star[1].trim().replace(/^"|"$/g, ''));
    } catch {
      // fall through
    }
  }
  const plain = /filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;]+)/i.exec(header);
  return (plain?.[1] ?? plain?.[2] ?? '').trim() || fallback;
}

export class ModelFilesApi {
  constructor(readonly client: ApiClient) {}

  /** The `kind` of model files' change events. */
  readonly kind = 'model file';

  list(params: { q?: string; include_hidden?: boolean; offset?: number; limit?: number; sort?: string } = {}): Promise<IPage<IModelFile>> {
    return this.client.get<IPage<IModelFile>>('modelfiles', {
      q: params.q,
      include_hidden: params.include_hidden ? 'true' : undefined,
      offset: params.offset,
      limit: params.limit ?? 1000,
      sort: params.sort
    });
  }

  get(id: string): Promise<IModelFile> {
    return this.client.get<IModelFile>(this.item(id));
  }

  create(body: IModelFileForm): Promise<IModelFile> {
    return this.client.post<IModelFile>('modelfiles', body);
  }

  update(id: string, body: Partial<IModelFileForm>): Promise<IModelFile> {
    return this.client.patch<IModelFile>(this.item(id), body);
  }

  remove(id: string): Promise<void> {
    return this.client.delete(this.item(id));
  }

  clone(id: string): Promise<IModelFile> {
    return this.client.post<IModelFile>(`${this.item(id)}/clone`);
  }

  hide(id: string, hidden: boolean): Promise<IModelFile> {
    return this.client.post<IModelFile>(`${this.item(id)}/hide`, { hidden });
  }

  /** The export file: its name (the server's) and text. All model files without ids. */
  async exportFile(ids?: string[]): Promise<{ filename: string; text: string }> {
    const response = await this.client.fetch('modelfiles/export', { method: 'GET' }, { ids: ids && ids.length ? ids : undefined });
    const text = await response.text();
    if (!response.ok) {
      throw errorFromBody(response.status, response.statusText, text);
    }
    const fallback = ids && ids.length === 1 ? `${ids[0]}-${Date.now()}.json` : `models-export-${Date.now()}.json`;
    return { filename: dispositionFilename(response.headers.get('Content-Disposition'), fallback), text };
  }

  /** Import an export (a JSON array, or `{models: [...]}`). */
  importModels(body: unknown): Promise<IImportResult> {
    return this.client.post<IImportResult>('modelfiles/import', body);
  }

  openaiBaseUrl(): string {
    return URLExt.join(this.client.serverSettings.baseUrl, MODELFILES_OPENAI_PATH);
  }

  readonly fetchUrl = (url: string, init: RequestInit): Promise<Response> => this.client.fetchUrl(url, init);

  private item(id: string): string {
    return `modelfiles/${encodeURIComponent(id)}`;
  }
}

export const modelFilesApi = familyApi(client => new ModelFilesApi(client));
