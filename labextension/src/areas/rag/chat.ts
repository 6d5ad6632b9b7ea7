/**
 * The chat tester's wire protocol: an OpenAI Chat Completions request to the
 * RAG's query URL with `stream: true`, read as server-sent events. Each
 * `data:` line is a chunk whose `choices[0].delta.content` extends the
 * answer; the first chunk carries the passages in `sources`; `data: [DONE]`
 * ends it. A server that answers JSON instead (no streaming) is read whole.
 * No DOM here: unit-tested.
 */
import { followAnswer } from '../../shared/components/chat/openaiStream';
import type { ISource } from './api';

export interface IChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** An answer as it streams in. */
export interface IChatAnswer {
  content: string;
  /** The passages of the first chunk (null until they came). */
  sources: ISource[] | null;
  /** `[DONE]` came (or the whole JSON answer). */
  done: boolean;
  finishReason: string | null;
  /** An error the stream itself carried. */
  error: string | null;
}

export const EMPTY_ANSWER: IChatAnswer = { content: '', sources: null, done: false, finishReason: null, error: null };

/** The request body: the RAG's name as the model, the conversation so far. */
export function chatRequest(model: string, messages: readonly IChatMessage[], stream = true): { model: string; messages: IChatMessage[]; stream: boolean } {
  return { model, messages: messages.map(m => ({ role: m.role, content: m.content })), stream };
}

function sourcesOf(value: unknown): ISource[] | null {
  if (!Array.isArray(value)) {
    return null;
  }
  return value
    .filter(s => s && typeof s === 'object')
    .map(s => {
      const o = s as Record<string, unknown>;
      return {
        file: String(o.file ?? o.path ?? ''),
        chunk: typeof o.chunk === 'number' || typeof o.chunk === 'string' ? o.chunk : '',
        score: typeof o.score === 'number' ? o.score : Number(o.score ?? NaN),
        text: String(o.text ?? '')
      };
    });
}

/** The message of an error value: OpenAI's `{message}`, the house's string, or JSON. */
function errorText(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  if (value && typeof value === 'object' && typeof (value as { message?: unknown }).message === 'string') {
    return (value as { message: string }).message;
  }
  return JSON.stringify(value);
}

/** The answer after one `data:` payload of the stream. */
export function applyChatData(answer: IChatAnswer, data: string): IChatAnswer {
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
    return answer; // not JSON: a keep-alive or a line the tester does not know
  }
  let next = answer;
  if (chunk.error !== undefined && chunk.error !== null) {
    next = { ...next, error: errorText(chunk.error) };
  }
  const sources = sourcesOf(chunk.sources);
  if (sources && next.sources === null) {
    next = { ...next, sources };
  }
  const choice = Array.isArray(chunk.choices) ? (chunk.choices[0] as Record<string, unknown> | undefined) : undefined;
  if (choice) {
    const delta = (choice.delta ?? choice.message) as { content?: unknown } | undefined;
    if (delta && typeof delta.content === 'string' && delta.content) {
      next = { ...next, content: next.content + delta.content };
    }
    if (typeof choice.finish_reason === 'string') {
      next = { ...next, finishReason: choice.finish_reason };
    }
  }
  return next;
}

/** A non-streamed answer (`choices[0].message.content` and `sources`). */
export function answerFromJson(body: unknown): IChatAnswer {
  const b = (body ?? {}) as Record<string, unknown>;
  const choice = Array.isArray(b.choices) ? (b.choices[0] as Record<string, unknown> | undefined) : undefined;
  const message = (choice?.message ?? {}) as { content?: unknown };
  return {
    content: typeof message.content === 'string' ? message.content : '',
    sources: sourcesOf(b.sources) ?? [],
    done: true,
    finishReason: typeof choice?.finish_reason === 'string' ? choice.finish_reason : null,
    error: b.error !== undefined && b.error !== null ? errorText(b.error) : null
  };
}

/** The message of an error answer: `{"error": {"message"}}`, `{"error": "..."}`, or the text. */
export function errorMessage(status: number, text: string): string {
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

/** A refused request (4xx/5xx) with the server's message. */
export class ChatError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
    this.name = 'ChatError';
  }
}

export interface IStreamChatOptions {
  url: string;
  apiKey: string;
  model: string;
  messages: readonly IChatMessage[];
  onUpdate(answer: IChatAnswer): void;
  signal?: AbortSignal;
  /** The fetch to use (tests). */
  fetch?: typeof fetch;
}

/**
 * Ask the RAG and follow the answer as it streams; resolves with the final
 * answer, rejects with ChatError when the request is refused. The key goes
 * in the `Authorization` header: the query URL takes an API key, not the
 * Jupyter token, so this is a plain fetch, not the API client's.
 */
export async function streamChat(options: IStreamChatOptions): Promise<IChatAnswer> {
  const doFetch = options.fetch ?? fetch;
  const response = await doFetch(options.url, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${options.apiKey.trim()}`,
      'Content-Type': 'application/json',
      Accept: 'text/event-stream'
    },
    body: JSON.stringify(chatRequest(options.model, options.messages, true)),
    signal: options.signal,
    cache: 'no-store'
  });
  if (!response.ok) {
    throw new ChatError(response.status, errorMessage(response.status, await response.text()));
  }
  return followAnswer(response, EMPTY_ANSWER, applyChatData, answerFromJson, options.onUpdate, options.signal);
}
