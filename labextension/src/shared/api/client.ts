/**
 * The one place that talks HTTP to the server extension, through Jupyter's
 * ServerConnection (so token, cookie + xsrf and base_url all work).
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { readServerSentEvents, IServerSentEvent } from './sse';
import type { IErrorBody } from './types';

/** Path of the API root, relative to the server's base URL. */
export const API_ROOT = 'easymaker/api/v1/';

/** An API call answered with a non-2xx status (or an unreadable body). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Dotted path of the request field the error is about (`datasets[0].path`). */
    readonly field: string | null = null,
    /** The server's error class (`InvalidInput`, `Conflict`, `NotFound`, ...). */
    readonly reason: string = ''
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Query values; arrays are joined with commas, empty values dropped. */
export type QueryValue = string | number | boolean | string[] | undefined | null;

export function queryString(query: { [key: string]: QueryValue } = {}): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') {
      continue;
    }
    if (Array.isArray(value) && value.length === 0) {
      continue;
    }
    const text = Array.isArray(value) ? value.join(',') : String(value);
    parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(text)}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

/** Turn an error answer into an ApiError with the server's message and field. */
export function errorFromBody(status: number, statusText: string, text: string): ApiError {
  let body: IErrorBody | undefined;
  try {
    body = text ? (JSON.parse(text) as IErrorBody) : undefined;
  } catch {
    body = undefined;
  }
  const message =
    body?.error || body?.message || statusText || `HTTP ${status}`;
  return new ApiError(status, message, body?.field ?? null, body?.reason ?? '');
}

export class ApiClient {
  constructor(
    readonly serverSettings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  /** Absolute URL of an API path (`trainings/abc/logs`). */
  url(path: string, query?: { [key: string]: QueryValue }): string {
    return URLExt.join(this.serverSettings.baseUrl, API_ROOT, path) + queryString(query);
  }

  /** The raw response (any status); network failures become NetworkError. */
  async fetch(path: string, init: RequestInit = {}, query?: { [key: string]: QueryValue }): Promise<Response> {
    return this.fetchUrl(this.url(path, query), init);
  }

  /** The raw response of any server URL (e.g. the TensorBoard proxy). */
  async fetchUrl(url: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await ServerConnection.makeRequest(url, init, this.serverSettings);
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') {
        throw error;
      }
      throw new ServerConnection.NetworkError(error as TypeError);
    }
  }

  /** Call the API and parse its JSON answer; non-2xx answers throw ApiError. */
  async request<T>(
    path: string,
    init: RequestInit = {},
    query?: { [key: string]: QueryValue }
  ): Promise<T> {
    const response = await this.fetch(path, init, query);
    const text = await response.text();
    if (!response.ok) {
      throw errorFromBody(response.status, response.statusText, text);
    }
    if (!text) {
      return undefined as T;
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(response.status, `${path || 'the API root'} did not answer JSON`);
    }
  }

  get<T>(path: string, query?: { [key: string]: QueryValue }): Promise<T> {
    return this.request<T>(path, { method: 'GET' }, query);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>(path, { method: 'POST', body: JSON.stringify(body) });
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>(path, { method: 'PATCH', body: JSON.stringify(body) });
  }

  delete(path: string): Promise<void> {
    return this.request<void>(path, { method: 'DELETE' });
  }

  /** The answer as text (e.g. `?format=text` log downloads). */
  async text(path: string, query?: { [key: string]: QueryValue }): Promise<string> {
    const response = await this.fetch(path, { method: 'GET' }, query);
    const text = await response.text();
    if (!response.ok) {
      throw errorFromBody(response.status, response.statusText, text);
    }
    return text;
  }

  /**
   * Read a server-sent event stream with fetch (EventSource cannot send the
   * Authorization header a token-authenticated server needs). Resolves when
   * the stream ends; rejects with ApiError on a non-2xx answer.
   */
  async stream(
    path: string,
    onEvent: (event: IServerSentEvent) => void,
    signal: AbortSignal,
    query?: { [key: string]: QueryValue },
    onOpen?: () => void
  ): Promise<void> {
    const response = await this.fetch(
      path,
      { method: 'GET', signal, headers: { Accept: 'text/event-stream' }, cache: 'no-store' },
      query
    );
    if (!response.ok) {
      throw errorFromBody(response.status, response.statusText, await response.text());
    }
    onOpen?.();
    await readServerSentEvents(response, onEvent, signal);
  }
}
