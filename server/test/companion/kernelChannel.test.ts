/**
 * The companion's kernel access over the server extension's internal routes, against a small
 * HTTP server standing in for Jupyter: what is sent (route, secret, body), and how replies and
 * failures become channel results and one-line errors.
 */
import http from 'http';
import { AddressInfo } from 'net';
import { agentStatus, STATUS_EXPRESSION } from '../../src/companion/agentStatus';
import { InternalClient, InternalRouteError } from '../../src/companion/internalClient';
import { jupyterKernelAccess } from '../../src/companion/kernelAccess';
import { MigrationError } from '../../src/migrate/migrationError';

interface ISeen {
  url: string;
  secret: string | undefined;
  body: any;
}

let server: http.Server;
let base: string;
let seen: ISeen[];
/** The next answers, by route suffix: [status, body]. */
let answers: Record<string, [number, unknown]>;

beforeEach(async () => {
  seen = [];
  answers = {};
  server = http.createServer((req, res) => {
    let text = '';
    req.on('data', chunk => (text += chunk));
    req.on('end', () => {
      seen.push({
        url: req.url ?? '',
        secret: req.headers['x-elastic-notebook-secret'] as string,
        body: JSON.parse(text || 'null')
      });
      const action = (req.url ?? '').split('/').pop() ?? '';
      const [status, body] = answers[action] ?? [404, { error: 'no such route' }];
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jupyter/`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise(resolve => server.close(resolve));
});

/** The rejection of a promise that must reject. */
async function failure(promise: Promise<unknown>): Promise<InternalRouteError> {
  try {
    await promise;
  } catch (err) {
    return err as InternalRouteError;
  }
  throw new Error('expected a failure');
}

const reply = (fields: Record<string, unknown> = {}) => ({
  status: 'ok',
  ename: null,
  evalue: null,
  user_expressions: {},
  executionCount: 0,
  ...fields
});

describe('the kernel channel', () => {
  test('evaluate sends a silent request with the expression and the secret, and answers text/plain', async () => {
    answers.execute = [200, reply({ user_expressions: { value: { status: 'ok', data: { 'text/plain': "'abc'" } } } })];
    const client = new InternalClient(base, 's3cret');
    const channel = jupyterKernelAccess(client).channel('k-1');
    expect(await channel.evaluate('1 + 1', 5000)).toBe("'abc'");
    expect(seen).toEqual([
      {
        url: '/jupyter/elastic-notebook/internal/kernels/k-1/execute',
        secret: 's3cret',
        body: { code: '', silent: true, store_history: false, user_expressions: { value: '1 + 1' }, timeout: 5 }
      }
    ]);
    client.close();
  });

  test('a failed expression names the agent call and the Python error', async () => {
    answers.execute = [
      200,
      reply({
        user_expressions: { value: { status: 'error', ename: 'KeyError', evalue: "'_elastic_notebook_agent'\nmore" } }
      })
    ];
    const client = new InternalClient(base, 's');
    const channel = jupyterKernelAccess(client).channel('k');
    const call = "__import__('sys').modules['_elastic_notebook_agent'].call(\"load\", 'e30=')";
    await expect(channel.evaluate(call, undefined, 'the agent call load')).rejects.toThrow(
      new MigrationError("evaluating the agent call load in the kernel failed: KeyError: '_elastic_notebook_agent'")
    );
    // No time limit unless asked for.
    expect(seen[0].body.timeout).toBeNull();
    client.close();
  });

  test('runSilently answers null, the error summary, or "aborted"', async () => {
    const client = new InternalClient(base, 's');
    const channel = jupyterKernelAccess(client).channel('k');
    answers.execute = [200, reply()];
    expect(await channel.runSilently('x = 1')).toBeNull();
    expect(seen[0].body).toEqual({ code: 'x = 1', silent: true, store_history: false });
    answers.execute = [200, reply({ status: 'error', ename: 'ValueError', evalue: 'bad\nvalue' })];
    expect(await channel.runSilently('raise')).toBe('ValueError: bad');
    answers.execute = [200, reply({ status: 'aborted' })];
    expect(await channel.runSilently('x')).toBe('aborted');
    client.close();
  });

  test('a kernel that is gone or died is a one-line error', async () => {
    const client = new InternalClient(base, 's');
    const channel = jupyterKernelAccess(client).channel('k');
    answers.execute = [404, { error: "no running kernel with id 'k'" }];
    await expect(channel.runSilently('x')).rejects.toThrow(
      'kernel k is not running any more (while replaying an execution)'
    );
    answers.execute = [502, { error: 'kernel k died or was restarted before it answered' }];
    await expect(channel.evaluate('x')).rejects.toThrow('the kernel died or was restarted while evaluating x');
    answers.execute = [401, { error: 'missing or wrong X-Elastic-Notebook-Secret' }];
    await expect(channel.evaluate('x')).rejects.toThrow(
      'evaluating x failed: missing or wrong X-Elastic-Notebook-Secret'
    );
    client.close();
  });

  test('an unreachable Jupyter server is named', async () => {
    const client = new InternalClient('http://127.0.0.1:1/', 's');
    const error = await failure(client.post('kernels/k/execute', {}));
    expect(error).toBeInstanceOf(InternalRouteError);
    expect(error.status).toBe(0);
    expect(error.message).toBe('cannot reach the Jupyter server at http://127.0.0.1:1: ECONNREFUSED');
  });

  test('a non-JSON answer is reported with its status', async () => {
    answers.execute = [500, '<html>oops</html>'];
    const client = new InternalClient(base, 's');
    const error = await failure(client.post('kernels/k/execute', {}));
    expect(error.status).toBe(500);
    expect(error.message).toBe('/jupyter/elastic-notebook/internal/kernels/k/execute answered 500 <html>oops</html>');
    client.close();
  });
});

describe('restart and bootstrap', () => {
  test('restart and bootstrap call their routes; a failed bootstrap says why', async () => {
    const client = new InternalClient(base, 's');
    const access = jupyterKernelAccess(client);
    answers.restart = [200, { ok: true }];
    answers.bootstrap = [200, reply()];
    await access.restart('k');
    await access.bootstrap('k');
    expect(seen.map(s => s.url)).toEqual([
      '/jupyter/elastic-notebook/internal/kernels/k/restart',
      '/jupyter/elastic-notebook/internal/kernels/k/bootstrap'
    ]);
    answers.bootstrap = [200, reply({ status: 'error', ename: 'ImportError', evalue: 'no agent' })];
    await expect(access.bootstrap('k')).rejects.toThrow(
      'loading the agent into the kernel failed: ImportError: no agent'
    );
    answers.restart = [404, { error: 'gone' }];
    await expect(access.restart('k')).rejects.toThrow('kernel k is not running any more (while restarting the kernel)');
    client.close();
  });
});

describe('the agent status', () => {
  test('is decoded from base64 JSON; anything else is an error', async () => {
    const encoded = Buffer.from(JSON.stringify({ active: true, runId: 'r', recorded: 2, acknowledged: 1 })).toString(
      'base64'
    );
    const channel = {
      evaluate: async (e: string) => (e === STATUS_EXPRESSION ? `'${encoded}'` : ''),
      runSilently: async () => null
    };
    expect(await agentStatus(channel)).toEqual({ active: true, runId: 'r', recorded: 2, acknowledged: 1 });
    const garbled = { evaluate: async () => "'not base64 json'", runSilently: async () => null };
    await expect(agentStatus(garbled)).rejects.toThrow(
      "the kernel answered the agent status request with 'not base64 json'"
    );
  });
});
