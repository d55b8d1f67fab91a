import { ServerConnection } from '@jupyterlab/services';
import { API_NAMESPACE, ApiError, requestAPI } from '../api';

/** Answer the next request with `body` and `status`, and remember what was asked. */
function answerWith(body: string, status = 200, statusText = ''): jest.SpyInstance {
  return jest
    .spyOn(ServerConnection, 'makeRequest')
    .mockResolvedValue(new Response(body, { status, statusText }) as unknown as globalThis.Response);
}

async function failureOf(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error('the request did not fail');
}

afterEach(() => jest.restoreAllMocks());

describe('requestAPI', () => {
  it('calls the route under the extension namespace and resolves with the JSON body', async () => {
    const spy = answerWith('{"ok": true, "version": "1"}');
    await expect(requestAPI('health', { method: 'GET' })).resolves.toEqual({ ok: true, version: '1' });
    const [url, init] = spy.mock.calls[0];
    expect(url).toMatch(new RegExp(`/${API_NAMESPACE}/health$`));
    expect(init).toEqual({ method: 'GET' });
  });

  it("uses the extension's own error text and keeps its whole body", async () => {
    answerWith('{"error": "bundle is outside the checkpoint root", "trustRequired": true}', 400);
    const error = await failureOf(requestAPI('kernels/k/restore'));
    expect(error.status).toBe(400);
    expect(error.fromExtension).toBe(true);
    expect(error.message).toBe('bundle is outside the checkpoint root');
    expect(error.body).toEqual({ error: 'bundle is outside the checkpoint root', trustRequired: true });
  });

  it("reports Jupyter's own error format as not from the extension", async () => {
    answerWith('{"message": "Forbidden"}', 403);
    const error = await failureOf(requestAPI('kernels'));
    expect(error).toMatchObject({ status: 403, fromExtension: false, message: '403: Forbidden' });
  });

  it('hints at a missing server extension on a 404 that is not JSON', async () => {
    answerWith('<html>not found</html>', 404, 'Not Found');
    const error = await failureOf(requestAPI('kernels/k/graph'));
    expect(error.fromExtension).toBe(false);
    expect(error.message).toBe(
      `${API_NAMESPACE}/kernels/k/graph answered 404 Not Found (is the elastic_notebook server extension installed and enabled?)`
    );
  });

  it('fails clearly when a success is not JSON', async () => {
    answerWith('<html>proxy page</html>', 200);
    const error = await failureOf(requestAPI('kernels'));
    expect(error.message).toBe(`${API_NAMESPACE}/kernels did not answer JSON`);
  });

  it('answers status 0 when the server cannot be reached', async () => {
    jest.spyOn(ServerConnection, 'makeRequest').mockRejectedValue(new TypeError('Failed to fetch'));
    const error = await failureOf(requestAPI('kernels'));
    expect(error).toMatchObject({ status: 0, fromExtension: false });
    expect(error.message).toBe('cannot reach the Jupyter server: Failed to fetch');
  });
});
