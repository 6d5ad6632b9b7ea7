/**
 * LLM studio (`llm/...`): base and fine-tuned models, load / unload,
 * fine-tunings (stop / restart), their logs and metrics, prompt templates,
 * and the OpenAI-compatible API of the loaded models. Shapes follow the
 * area's schemas on the server (LlmModelOut, PromptTemplateOut, ...).
 */
import { URLExt } from '@jupyterlab/coreutils';

import { familyApi } from '../../shared/api';
import type { ApiClient } from '../../shared/api/client';
import { ResourceApi } from '../../shared/api/resources';
import type { IListParams, ILogRecord, IMetrics, IPage, IResource, IStatusEvent } from '../../shared/api/types';

export type LlmModelType = 'base' | 'fine-tuned';
export type LlmKind = 'foundation' | 'instruction' | 'embedding' | 'safety';
export type LlmFormat = 'huggingface' | 'gguf';
export type LlmAction = 'load' | 'unload' | 'stop' | 'restart' | 'delete' | 'chat';

/** What the model's name says (family, size, MoE, chat / instruct, quantization). */
export interface INameInfo {
  family?: string | null;
  size?: string | null;
  active_params?: string | null;
  moe?: boolean | null;
  chat?: boolean | null;
  instruct?: boolean | null;
  quantization?: string | null;
  format?: string | null;
  [key: string]: unknown;
}

export interface ILoraSettings {
  r?: number;
  alpha?: number;
  dropout?: number;
  target_modules?: string[] | string;
}

export interface IFinetuneSpec {
  method?: 'lora' | 'qlora' | string;
  lora?: ILoraSettings;
  training?: { [key: string]: unknown };
  data_path?: string;
  validation_path?: string | null;
  validation_split?: number | null;
  instance_type?: string | null;
}

export interface IFinetuneProgress {
  percent?: number | null;
  step?: number | null;
  total_steps?: number | null;
  loss?: number | null;
  eval_loss?: number | null;
  tokens_per_s?: number | null;
  eta_s?: number | null;
  epoch?: number | null;
}

/** summary.json of a finished fine-tuning. */
export interface IFinetuneResult {
  steps?: number;
  epochs?: number;
  train_loss?: number | null;
  eval_loss_before?: number | null;
  eval_loss?: number | null;
  perplexity_before?: number | null;
  perplexity?: number | null;
  train_tokens?: number;
  train_seconds?: number;
  tokens_per_second?: number;
  context_length?: number | null;
  method?: string;
  lora?: ILoraSettings;
  resumed_from_step?: number | null;
  [key: string]: unknown;
}

export interface ILoadedInfo {
  instance_type?: string | null;
  keep_alive_seconds?: number | null;
  loaded_at?: string | null;
  last_used_at?: string | null;
  address?: string | null;
}

export interface ILlmModel extends IResource {
  status_label_ko?: string;
  type: LlmModelType | string;
  kind: LlmKind | string;
  format: LlmFormat | string;
  source?: { path?: string | null; hf_id?: string | null; revision?: string | null; has_token?: boolean } | null;
  context_length: number | null;
  parameters_label: string | null;
  name_info: INameInfo | null;
  base_model: string | null;
  finetune: IFinetuneSpec | null;
  progress: IFinetuneProgress | null;
  result: IFinetuneResult | null;
  outputs: { adapter?: string | null; merged?: string | null; modelfile?: string | null } | null;
  loaded: ILoadedInfo | null;
  actions: LlmAction[] | string[];
  backend?: string | null;
  history?: IStatusEvent[] | null;
}

export interface IPromptTemplate {
  id: string;
  name: string;
  description: string;
  system_prompt: string;
  template: string;
  variables: string[];
  parameters: { temperature?: number | null; top_p?: number | null; max_tokens?: number | null; stop?: string[] | null };
  created_at: string;
  updated_at: string;
}

export type IPromptTemplateBody = Partial<Omit<IPromptTemplate, 'id' | 'variables' | 'created_at' | 'updated_at'>>;

export interface ILlmLogPage {
  records: ILogRecord[];
  next_after: number;
  status?: string;
}

/** Path of the OpenAI-compatible API of the loaded models, below the server's base URL. */
export const LLM_OPENAI_PATH = 'easymaker/api/v1/llm/openai/v1';

export class LlmApi extends ResourceApi<ILlmModel> {
  constructor(client: ApiClient) {
    super(client, 'llm/models', 'llm model');
  }

  /** The list (`q` searches, `status` filters; `type` and `kind` narrow it). */
  list(params: IListParams & { type?: string; kind?: string } = {}): Promise<IPage<ILlmModel>> {
    return this.client.get<IPage<ILlmModel>>(this.path, {
      offset: params.offset,
      limit: params.limit,
      sort: params.sort,
      status: params.status,
      q: params.name,
      type: params.type,
      kind: params.kind
    });
  }

  load(ref: string, body: { instance_type?: string; keep_alive_seconds?: number } = {}): Promise<ILlmModel> {
    return this.client.post<ILlmModel>(`${this.item(ref)}/load`, body);
  }

  unload(ref: string): Promise<ILlmModel> {
    return this.client.post<ILlmModel>(`${this.item(ref)}/unload`);
  }

  stop(ref: string): Promise<ILlmModel> {
    return this.client.post<ILlmModel>(`${this.item(ref)}/stop`);
  }

  restart(ref: string): Promise<ILlmModel> {
    return this.client.post<ILlmModel>(`${this.item(ref)}/restart`);
  }

  /** Start a fine-tuning: a new fine-tuned model in TRAINING. */
  finetune(body: Record<string, unknown>): Promise<ILlmModel> {
    return this.client.post<ILlmModel>('llm/finetunings', body);
  }

  logs(ref: string, after = 0, limit = 1000): Promise<ILlmLogPage> {
    return this.client.get<ILlmLogPage>(`${this.item(ref)}/logs`, { after, limit });
  }

  metrics(ref: string): Promise<IMetrics> {
    return this.client.get<IMetrics>(`${this.item(ref)}/metrics`);
  }

  templates(): Promise<IPromptTemplate[]> {
    return this.client
      .get<IPage<IPromptTemplate> | IPromptTemplate[]>('llm/prompt-templates', { limit: 1000 })
      .then(a => (Array.isArray(a) ? a : a.items));
  }

  createTemplate(body: IPromptTemplateBody): Promise<IPromptTemplate> {
    return this.client.post<IPromptTemplate>('llm/prompt-templates', body);
  }

  updateTemplate(ref: string, body: IPromptTemplateBody): Promise<IPromptTemplate> {
    return this.client.patch<IPromptTemplate>(`llm/prompt-templates/${encodeURIComponent(ref)}`, body);
  }

  removeTemplate(ref: string): Promise<void> {
    return this.client.delete(`llm/prompt-templates/${encodeURIComponent(ref)}`);
  }

  /** The messages of a template with its variables filled (400 names a missing one). */
  render(ref: string, variables: { [name: string]: string }): Promise<{ messages: { role: string; content: string }[] }> {
    return this.client.post(`llm/prompt-templates/${encodeURIComponent(ref)}/render`, { variables });
  }

  /** The absolute OpenAI base URL of the loaded models. */
  openaiBaseUrl(): string {
    return URLExt.join(this.client.serverSettings.baseUrl, LLM_OPENAI_PATH);
  }

  /** A fetch that carries Jupyter's authentication (the token is the API key). */
  readonly fetchUrl = (url: string, init: RequestInit): Promise<Response> => this.client.fetchUrl(url, init);
}

export const llmApi = familyApi(client => new LlmApi(client));
