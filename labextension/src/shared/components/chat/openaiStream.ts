/**
 * OpenAI Chat Completions over fetch, streamed: the request body (model,
 * messages, sampling parameters, `stream: true`) and the answer read as
 * server-sent events, each `data:` chunk's `choices[0].delta.content`
 * extending the text until `data: [DONE]`. A JSON answer (no streaming) is
 * read whole; an error answer (`{"error": {"message"}}`) is thrown as
 * ChatStreamError. No DOM here: unit-tested.
 */
import { readServerSentEvents } from '../../api/sse';

export interface IChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Sampling parameters of a request (empty ones are left out). */
export interface IChatParams {
  temperature?: number | null;
  top_p?: number | null;
  max_tokens?: number | null;
  stop?: string[] | null;
  seed?: number | null;
}

/** An answer as it streams in. */
export interface IStreamedAnswer {
  content: string;
  /** `[DONE]` came (or the whole JSON answer). */
  done: boolean;
  finishReason: string | null;
  /** The model the server says answered. */
  model: string | null;
  /** An error the stream itself carried. */
  error: string | null;
  /** Usage of the last chunk that had one. */
  usage: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | null;
}

export const EMPTY_STREAMED: IStreamedAnswer = { content: '', done: false, finishReason: null, model: null, error: null, usage: null };

/** The request body: empty parameters left out, the stop list without blanks. */
export function chatBody(model: string, messages: readonly IChatMessage[], params: IChatParams = {}, stream = true): Record<string, unknown> {
  const body: Record<string, unknown> = { model, messages: messages.map(m => ({ role: m.role, content: m.content })), stream };
  for (const key of ['temperature', 'top_p', 'max_tokens', 'seed'] as const) {
    const v = params[key];
    if (typeof v === 'number' && Number.isFinite(v)) {
      body[key] = v;
    }
  }
  const stop = (params.stop ?? []).filter(s => s !== '');
  if (stop.length) {
    body.stop = stop;
  }
  return body;
}

function errorText(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  if (value && typeof value === 'object' && typeof (value as { message?: unknown }).message === 'string') {
    return (value as { message: string }).message;
  }
  return JSON.stringify(value);
}

/** The answer after one `data:` payload of the stream (the same object when nothing changed). */
export function applyChunk(answer: IStreamedAnswer, data: string): IStreamedAnswer {
  const text = data.trim();
  if (!text) {
    return answer;
  }
  if (text === '[DONE]') {
    return { ...answer, done: true };
  }
  let chunk: Record<string, unknown>;
  try {
    chunk = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return answer;
  }
  let next = answer;
  if (chunk.error !== undefined && chunk.error !== null) {
    next = { ...next, error: errorText(chunk.error) };
  }
  if (typeof chunk.model === 'string' && chunk.model !== next.model) {
    next = { ...next, model: chunk.model };
  }
  if (chunk.usage && typeof chunk.usage === 'object') {
    next = { ...next, usage: chunk.usage as IStreamedAnswer['usage'] };
  }
  const choice = Array.isArray(chunk.choices) ? (chunk.choices[0] as Record<string, unknown> | undefined) : undefined;
  if (choice) {
    const delta = (choice.delta ?? choice.message) as { content?: unknown } | undefined;
    const piece = delta && typeof delta.content === 'string' ? delta.content : typeof choice.text === 'string' ? choice.text : '';
    if (piece) {
      next = { ...next, content: next.content + piece };
    }
    if (typeof choice.finish_reason === 'string') {
      next = { ...next, finishReason: choice.finish_reason };
    }
  }
  return next;
}

/** A whole (non-streamed) answer. */
export function answerOfJson(body: unknown): IStreamedAnswer {
  const b = (body ?? {}) as Record<string, unknown>;
  const choice = Array.isArray(b.choices) ? (b.choices[0] as Record<string, unknown> | undefined) : undefined;
  const message = (choice?.message ?? {}) as { content?: unknown };
  return {
    content: typeof message.content === 'string' ? message.content : '',
    done: true,
    finishReason: typeof choice?.finish_reason === 'string' ? choice.finish_reason : null,
    model: typeof b.model === 'string' ? b.model : null,
    error: b.error !== undefined && b.error !== null ? errorText(b.error) : null,
    usage: (b.usage as IStreamedAnswer['usage']) ?? null
  };
}

/** The message of an error answer: OpenAI's `{"error": {"message"}}`, the house's `{"error": "..."}`, or the text. */
export function errorOfResponse(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    if (body.error !== undefined) {
      return `HTTP ${status}: ${errorText(body.error)}`;
    }
    if (typeof body.message === 'string') {
      return `HTTP ${status}: ${body.message}`;
    }
  } catch {
    // not JSON
  }
  return `HTTP ${status}${text.trim() ? `: ${text.trim().slice(0, 500)}` : ''}`;
}

export class ChatStreamError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
    this.name = 'ChatStreamError';
  }
}

/** How a request reaches the server: the API client's fetch (Jupyter token, xsrf) or a plain one. */
export type ChatFetch = (url: string, init: RequestInit) => Promise<Response>;

export interface IStreamOptions {
  fetch: ChatFetch;
  /** The OpenAI base URL (`…/openai/v1`); `/chat/completions` is added. */
  baseUrl: string;
  model: string;
  messages: readonly IChatMessage[];
  params?: IChatParams;
  onUpdate(answer: IStreamedAnswer): void;
  signal?: AbortSignal;
}

/** The chat completions URL of an OpenAI base URL. */
export function completionsUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/chat/completions`;
}

/** Ask one model and follow its answer; resolves with the final answer, rejects with ChatStreamError when refused. */
export async function streamCompletion(options: IStreamOptions): Promise<IStreamedAnswer> {
  const response = await options.fetch(completionsUrl(options.baseUrl), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
    body: JSON.stringify(chatBody(options.model, options.messages, options.params ?? {}, true)),
    signal: options.signal,
    cache: 'no-store'
  });
  if (!response.ok) {
    throw new ChatStreamError(response.status, errorOfResponse(response.status, await response.text()));
  }
  return followAnswer(response, EMPTY_STREAMED, applyChunk, answerOfJson, options.onUpdate, options.signal);
}

/**
 * Follow an accepted chat answer: a JSON body at once, or server-sent chunks
 * folded into the answer as they come (`apply`), each change reported; a
 * stream that ends without `[DONE]` is the whole answer.
 */
export async function followAnswer<T extends { done: boolean }>(
  response: Response,
  empty: T,
  apply: (answer: T, data: string) => T,
  ofJson: (body: unknown) => T,
  onUpdate: (answer: T) => void,
  signal?: AbortSignal
): Promise<T> {
  if ((response.headers.get('Content-Type') ?? '').includes('application/json')) {
    const answer = ofJson(JSON.parse(await response.text()));
    onUpdate(answer);
    return answer;
  }
  let answer = empty;
  await readServerSentEvents(
    response,
    event => {
      const next = apply(answer, event.data);
      if (next !== answer) {
        answer = next;
        onUpdate(answer);
      }
    },
    signal
  );
  if (!answer.done) {
    answer = { ...answer, done: true };
    onUpdate(answer);
  }
  return answer;
}

/** One entry of `GET …/openai/v1/models`. */
export interface IChatModelInfo {
  id: string;
  name?: string;
  owned_by?: string;
  base_model_id?: string | null;
  description?: string | null;
  loaded?: boolean;
  [key: string]: unknown;
}

/** The models an OpenAI base URL offers. */
export async function listModels(fetcher: ChatFetch, baseUrl: string, signal?: AbortSignal): Promise<IChatModelInfo[]> {
  const response = await fetcher(`${baseUrl.replace(/\/+$/, '')}/models`, { method: 'GET', signal, cache: 'no-store' });
  const text = await response.text();
  if (!response.ok) {
    throw new ChatStreamError(response.status, errorOfResponse(response.status, text));
  }
  const body = JSON.parse(text) as { data?: IChatModelInfo[] };
  return Array.isArray(body.data) ? body.data : [];
}
