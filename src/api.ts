import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** Where the server extension's routes live, under the Jupyter server's base URL. */
export const API_NAMESPACE = 'elastic-notebook/api';

/**
 * Call an Elastic Notebook route with Jupyter's auth (token and XSRF header). Throws an `Error`
 * whose message is the server's own `error` text when there is one.
 */
export async function requestAPI<T>(path: string, init: RequestInit = {}): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, API_NAMESPACE, path);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  const text = await response.text();
  let body: any = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) {
    const message = body?.error ?? (text || response.statusText);
    throw new Error(`${response.status}: ${message}`);
  }
  return body as T;
}
