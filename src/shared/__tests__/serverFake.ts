/**
 * A stand-in for the Jupyter server in service specs: answers each request from a table of
 * routes and records what was asked (method, path under the extension namespace, JSON body).
 * Not a spec (jest runs `*.spec.ts` only).
 */
import { ServerConnection } from '@jupyterlab/services';
import { API_NAMESPACE } from '../api';

/** One request as the server saw it. */
export interface IRecordedRequest {
  method: string;
  /** The path and query under `elastic-notebook/api/`. */
  path: string;
  /** The parsed JSON body, or undefined without one. */
  body: unknown;
}

/** An answer: a status and a JSON body. */
export interface IAnswer {
  status: number;
  body: unknown;
}

/**
 * Answer every request with `answer(request)` and return the list the requests are recorded in.
 * Call `jest.restoreAllMocks()` after each spec.
 */
export function fakeServer(answer: (request: IRecordedRequest) => IAnswer): IRecordedRequest[] {
  const requests: IRecordedRequest[] = [];
  jest.spyOn(ServerConnection, 'makeRequest').mockImplementation(async (url, init) => {
    const marker = `/${API_NAMESPACE}/`;
    const request: IRecordedRequest = {
      method: init.method ?? 'GET',
      path: url.slice(url.indexOf(marker) + marker.length),
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined
    };
    requests.push(request);
    const { status, body } = answer(request);
    return new Response(JSON.stringify(body), { status }) as unknown as globalThis.Response;
  });
  return requests;
}
