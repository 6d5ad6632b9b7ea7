/**
 * Types and calls of the jupyter-easymaker REST API (server extension).
 *
 * Kept apart from the plugin so that panels can import them without
 * pulling in the plugin (no import cycles).
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** Path of the API root, relative to the server's base URL. */
export const API_ROOT = 'easymaker/api/v1/';

/** Answer of `GET {baseUrl}easymaker/api/v1/`: the version handshake. */
export interface IHandshake {
  /** Version of the Python package serving the API. */
  version: string;
  /** Features the server offers (backends, extras installed, ...). */
  capabilities: { [name: string]: unknown };
}

/** An API call answered with a non-2xx status (or an unreadable body). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * Call the API and parse its JSON answer.
 *
 * @param endPoint path below the API root, e.g. `''` or `'experiments'`.
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, API_ROOT, endPoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  const text = await response.text();
  let data: unknown = undefined;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      throw new ApiError(response.status, `${url} did not answer JSON`);
    }
  }
  if (!response.ok) {
    const detail =
      (data as { message?: string } | undefined)?.message ?? response.statusText;
    throw new ApiError(response.status, detail || `HTTP ${response.status}`);
  }
  return data as T;
}

/** The version handshake. */
export function fetchHandshake(
  settings?: ServerConnection.ISettings
): Promise<IHandshake> {
  return requestAPI<IHandshake>('', { method: 'GET' }, settings);
}
