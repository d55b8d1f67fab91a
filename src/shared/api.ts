import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import type { IErrorBody } from '@elastic-notebook/protocol';

/** Where the server extension's routes live, under the Jupyter server's base URL. */
export const API_NAMESPACE = 'elastic-notebook/api';

/** An Elastic Notebook route answered with an error status (or could not be reached: status 0). */
export class ApiError extends Error {
  constructor(
    /** The HTTP status, or 0 when the server could not be reached at all. */
    readonly status: number,
    message: string,
    /** Whether the answer came from the Elastic Notebook extension (a JSON `error` body). */
    readonly fromExtension: boolean,
    /** The extension's whole JSON answer, for routes that say more than `error`. */
    readonly body: IErrorBody | null = null
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * Call an Elastic Notebook route with Jupyter's auth (token and XSRF header). Resolves with the
 * parsed JSON body; throws an {@link ApiError} whose message says what went wrong, using the
 * extension's own `error` text when there is one.
 */
export async function requestAPI<T>(path: string, init: RequestInit = {}): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, API_NAMESPACE, path);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ApiError(0, `cannot reach the Jupyter server: ${(error as Error).message}`, false);
  }
  const text = await response.text();
  let body: any = undefined;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: an HTML error page from Jupyter or a proxy, not from the extension.
  }
  if (!response.ok) {
    if (body && typeof body.error === 'string') {
      throw new ApiError(response.status, body.error, true, body);
    }
    if (body && typeof body.message === 'string' && body.message) {
      // Jupyter's own API error format (auth, XSRF...).
      throw new ApiError(response.status, `${response.status}: ${body.message}`, false);
    }
    const reason = `${response.status} ${response.statusText}`.trim();
    const hint = response.status === 404 ? ' (is the elastic_notebook server extension installed and enabled?)' : '';
    throw new ApiError(response.status, `${API_NAMESPACE}/${path} answered ${reason}${hint}`, false);
  }
  if (body === undefined) {
    throw new ApiError(response.status, `${API_NAMESPACE}/${path} did not answer JSON`, false);
  }
  return body as T;
}

/**
 * Resolve with null instead of rejecting when the extension answers 404 for a kernel: it knows no
 * recorded run for it yet, which is not an error to show.
 */
export async function unlessNothingRecorded<T>(request: Promise<T>): Promise<T | null> {
  try {
    return await request;
  } catch (reason) {
    if (reason instanceof ApiError && reason.status === 404 && reason.fromExtension) {
      return null;
    }
    throw reason;
  }
}

/** POST `body` as JSON to an Elastic Notebook route. */
export function postAPI<T>(path: string, body: unknown): Promise<T> {
  return requestAPI<T>(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body)
  });
}
