/**
 * Every way `elastic-notebook record` can fail: non-zero exit, nothing on stdout, and exactly one
 * specific line on stderr. Real files, real Jupyter servers, real kernels.
 */
import fs from 'fs';
import path from 'path';
import {
  TestJupyterServer,
  errorLine,
  freePort,
  requireBuiltCli,
  runCli,
  sharedTestServer,
  tempDir,
  writeNotebook
} from './helpers';

jest.setTimeout(120_000);

let dir: string;

beforeAll(() => {
  requireBuiltCli();
  dir = tempDir();
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Run the CLI and return its one error line, checking the failure's shape on the way. */
async function failure(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const run = await runCli(args, options);
  expect(run.stdout).toBe('');
  expect(run.code).toBe(1);
  return errorLine(run);
}

describe('bad input', () => {
  test('a missing notebook', async () => {
    expect(await failure(['record', 'nope.ipynb', '--json'], { cwd: dir })).toBe('notebook not found: nope.ipynb');
  });

  test('a folder', async () => {
    expect(await failure(['record', '.', '--json'], { cwd: dir })).toBe('. is a folder, not a notebook');
  });

  test('a file that is not JSON', async () => {
    fs.writeFileSync(path.join(dir, 'bad.ipynb'), '{not json');
    expect(await failure(['record', 'bad.ipynb'], { cwd: dir })).toMatch(
      /^bad\.ipynb is not a notebook \(not JSON: .+\)$/
    );
  });

  test('JSON that is not an nbformat 4 notebook', async () => {
    fs.writeFileSync(path.join(dir, 'old.ipynb'), JSON.stringify({ nbformat: 3, worksheets: [] }));
    expect(await failure(['record', 'old.ipynb'], { cwd: dir })).toBe(
      'old.ipynb is not a notebook (nbformat: nbformat must be 4, got 3)'
    );
    fs.writeFileSync(
      path.join(dir, 'cells.ipynb'),
      JSON.stringify({ nbformat: 4, cells: [{ cell_type: 'code', source: 5 }] })
    );
    expect(await failure(['record', 'cells.ipynb'], { cwd: dir })).toMatch(
      /^cells\.ipynb is not a notebook \(cells\.0\.source: .+\)$/
    );
  });

  test('usage errors', async () => {
    expect(await failure(['record'])).toBe("missing required argument 'notebook'");
    expect(await failure(['record', 'x.ipynb', '--frob'])).toBe("unknown option '--frob'");
    expect(await failure(['record', 'x.ipynb', '--timeout', 'soon'])).toBe(
      "option '--timeout <seconds>' argument 'soon' is invalid. must be a positive number of seconds."
    );
    expect(await failure(['recrod', 'x.ipynb'])).toBe("unknown command 'recrod' (Did you mean record?)");
  });
});

test('--version prints the package version and succeeds', async () => {
  const expected = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version;
  for (const flag of ['--version', '-V']) {
    const run = await runCli([flag]);
    expect({ code: run.code, stdout: run.stdout.trim(), stderr: run.stderr }).toEqual({
      code: 0,
      stdout: expected,
      stderr: ''
    });
  }
});

describe('servers that cannot be used', () => {
  let nb: string;

  beforeAll(() => {
    nb = writeNotebook(path.join(dir, 'fine.ipynb'), ['x = 1']);
  });

  test('nothing listening at --server', async () => {
    const port = await freePort();
    expect(await failure(['record', nb, '--server', `http://127.0.0.1:${port}`, '--token', 't'])).toBe(
      `cannot reach the Jupyter server at http://127.0.0.1:${port}/ (connect ECONNREFUSED 127.0.0.1:${port})`
    );
  });

  test('--server that is not a URL', async () => {
    expect(await failure(['record', nb, '--server', 'localhost:8888', '--token', 't'])).toBe(
      '--server must be an http(s) URL, got "localhost:8888"'
    );
  });

  test('no jupyter to start a server with', async () => {
    const missing = path.join(dir, 'no-such-jupyter');
    expect(await failure(['record', nb], { env: { ELASTIC_NOTEBOOK_JUPYTER: missing } })).toBe(
      `the Jupyter server could not be started: spawn ${missing} ENOENT (${missing})`
    );
  });

  test('a server without the Elastic Notebook extension', async () => {
    const plain = await new TestJupyterServer(dir, ['--ServerApp.jpserver_extensions=elastic_notebook=False']).start(
      'api/status'
    );
    try {
      expect(await failure(['record', nb, '--server', plain.url, '--token', plain.token])).toBe(
        `the Jupyter server at ${plain.url} does not have the Elastic Notebook extension enabled`
      );
    } finally {
      await plain.stop();
    }
  });
});

describe('failures on a working server', () => {
  const shared = sharedTestServer();

  const serverArgs = shared.args;

  /** The CLI must leave no session behind, whatever went wrong. */
  async function expectNoSessions(): Promise<void> {
    expect(await shared.server.get('api/sessions').then(r => r.json())).toEqual([]);
  }

  test('a wrong token, and a missing one', async () => {
    writeNotebook(path.join(shared.root, 'z.ipynb'), ['x = 1']);
    expect(
      await failure(['record', 'z.ipynb', '--server', shared.server.url, '--token', 'wrong'], { cwd: shared.root })
    ).toBe(`the Jupyter server at ${shared.server.url} rejected the token`);
    expect(
      await failure(['record', 'z.ipynb', '--server', shared.server.url], {
        cwd: shared.root,
        env: { JUPYTER_TOKEN: '' }
      })
    ).toBe(`the Jupyter server at ${shared.server.url} needs a token: pass --token`);
  });

  test('a notebook outside the server root', async () => {
    const outside = writeNotebook(path.join(dir, 'outside', 'o.ipynb'), ['x = 1']);
    expect(await failure(['record', outside, ...serverArgs()])).toBe(
      `the Jupyter server at ${shared.server.url} does not see ${fs.realpathSync(outside)}: the notebook must be inside the server's root folder`
    );
  });

  test('the kernel dying mid-run', async () => {
    writeNotebook(path.join(shared.root, 'dies.ipynb'), [
      'x = 1',
      { markdown: 'next: exit' },
      'import os\nos._exit(1)',
      'y = 2'
    ]);
    expect(await failure(['record', 'dies.ipynb', '--json', ...serverArgs()], { cwd: shared.root })).toBe(
      'the kernel died while running cell 2'
    );
    await expectNoSessions();
  });

  test('a cell running longer than --timeout', async () => {
    writeNotebook(path.join(shared.root, 'slow.ipynb'), ['x = 1', 'import time\ntime.sleep(60)']);
    const started = Date.now();
    expect(await failure(['record', 'slow.ipynb', '--timeout', '2', ...serverArgs()], { cwd: shared.root })).toBe(
      'running cell 1 took longer than 2 s (--timeout)'
    );
    expect(Date.now() - started).toBeLessThan(30_000);
    await expectNoSessions();
  });
});
