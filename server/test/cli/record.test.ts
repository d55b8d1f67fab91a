/**
 * The `elastic-notebook record` CLI as a child process against real Jupyter servers (its own, and
 * one started by the test for --server/--token), a real kernel, agent and companion.
 */
import { ChildProcess, execFile, spawn } from 'child_process';
import { randomBytes } from 'crypto';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'server', 'bin', 'elastic-notebook.js');
const JUPYTER = process.env.ELASTIC_NOTEBOOK_JUPYTER ?? path.join(ROOT, '.venv', 'bin', 'jupyter');

jest.setTimeout(180_000);

interface IRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], cwd = ROOT): Promise<IRun> {
  return new Promise(resolve => {
    execFile(process.execPath, [BIN, ...args], { cwd, timeout: 150_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function writeNotebook(dir: string, name: string, sources: Array<string | { markdown: string }>): string {
  const cells = sources.map((s, i) =>
    typeof s === 'string'
      ? { cell_type: 'code', id: `cell-${i}`, metadata: {}, source: s, outputs: [], execution_count: null }
      : { cell_type: 'markdown', id: `md-${i}`, metadata: {}, source: s.markdown }
  );
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells }));
  return file;
}

const sets = (graph: any) =>
  graph.executions.map((e: any) => ({
    cell: e.cellIndex,
    reads: [...e.reads].sort(),
    writes: [...e.writes].sort(),
    deletes: [...e.deletes].sort(),
    error: e.error
  }));

let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elastic-cli-'));
  fs.writeFileSync(path.join(dir, 'numbers.txt'), '4 5 6\n');
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('record with its own Jupyter server', () => {
  test('prints exactly one JSON object with the documented fields', async () => {
    const nb = writeNotebook(dir, 'basic.ipynb', [
      'data = [int(v) for v in open("numbers.txt").read().split()]',
      { markdown: '# notes' },
      'total = sum(data)\nbackup = data',
      'data.append(total)',
      'def scaled(k):\n    return [k * v for v in data]\nfactor = 3',
      'result = scaled(factor)',
      'raise ValueError("stop here")',
      '%time squares = [v * v for v in data]',
      'listing = !echo hello',
      'del backup'
    ]);
    const run = await cli(['record', nb, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const graph = JSON.parse(run.stdout);
    expect(sets(graph)).toEqual([
      { cell: 0, reads: [], writes: ['data'], deletes: [], error: null },
      { cell: 2, reads: ['data'], writes: ['backup', 'total'], deletes: [], error: null },
      { cell: 3, reads: ['data', 'total'], writes: ['backup', 'data'], deletes: [], error: null },
      { cell: 4, reads: [], writes: ['factor', 'scaled'], deletes: [], error: null },
      { cell: 5, reads: ['data', 'factor', 'scaled'], writes: ['result'], deletes: [], error: null },
      { cell: 6, reads: [], writes: [], deletes: [], error: 'ValueError: stop here' },
      { cell: 7, reads: ['data'], writes: ['squares'], deletes: [], error: null },
      { cell: 8, reads: [], writes: ['listing'], deletes: [], error: null },
      { cell: 9, reads: [], writes: [], deletes: ['backup'], error: null }
    ]);
    expect(graph.executions.map((e: any) => e.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    for (const e of graph.executions) {
      expect(typeof e.durationMs).toBe('number');
    }
    // `data`: version 0 from cell 0, version 1 from the in-place append (execution 2); only that is active.
    const data = graph.variables.filter((v: any) => v.name === 'data');
    expect(data.map((v: any) => [v.version, v.producedBy, v.active])).toEqual([
      [0, 0, false],
      [1, 2, true]
    ]);
    expect(graph.variables.find((v: any) => v.name === 'backup' && v.active)).toBeUndefined();
    expect(graph.groups).toEqual([['data'], ['factor'], ['listing'], ['result'], ['scaled'], ['squares'], ['total']]);
    expect(graph.kernelId).toEqual(expect.any(String));
    expect(graph.connectionFile).toBeUndefined();
  });

  test('--stop-on-error stops at the first cell that raises', async () => {
    const nb = writeNotebook(dir, 'stops.ipynb', ['a = 1', 'a / 0', 'b = 2']);
    const run = await cli(['record', nb, '--json', '--stop-on-error']);
    expect(run.code).toBe(0);
    const graph = JSON.parse(run.stdout);
    expect(sets(graph).map((e: any) => [e.cell, e.error])).toEqual([
      [0, null],
      [1, 'ZeroDivisionError: division by zero']
    ]);
  });

  test('--keep-kernel leaves a kernel that answers on its connection file', async () => {
    const nb = writeNotebook(dir, 'keep.ipynb', ['kept = 41 + 1']);
    const run = await cli(['record', nb, '--json', '--keep-kernel']);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.kernelId).toEqual(expect.any(String));
    expect(fs.existsSync(out.connectionFile)).toBe(true);
    expect(path.basename(out.connectionFile)).toBe(`kernel-${out.kernelId}.json`);
    const python = path.join(path.dirname(JUPYTER), 'python');
    const answer = await new Promise<string>((resolve, reject) =>
      execFile(
        python,
        [
          '-c',
          [
            'import sys',
            'from jupyter_client import BlockingKernelClient',
            'c = BlockingKernelClient(connection_file=sys.argv[1]); c.load_connection_file(); c.start_channels()',
            'c.wait_for_ready(30)',
            'r = c.execute_interactive("", user_expressions={"v": "kept"}, timeout=30)',
            'print(r["content"]["user_expressions"]["v"]["data"]["text/plain"])'
          ].join('\n'),
          out.connectionFile
        ],
        (err, stdout) => (err ? reject(err) : resolve(stdout.trim()))
      )
    );
    expect(answer).toBe('42');
    process.kill(out.server.pid, 'SIGTERM');
  });

  test('without --json prints a readable table', async () => {
    const nb = writeNotebook(dir, 'table.ipynb', ['p = [1]', 'p.append(2)']);
    const run = await cli(['record', nb]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^0\s+0\s+[\d.]+\s+- -> p$/m);
    expect(run.stdout).toMatch(/^1\s+1\s+[\d.]+\s+p -> p$/m);
    expect(run.stdout).toMatch(/groups: \{p\}/);
  });
});

describe('record errors: exit non-zero with one line on stderr', () => {
  const expectError = (run: IRun, pattern: RegExp) => {
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(pattern);
  };

  test('missing notebook', async () => {
    expectError(await cli(['record', path.join(dir, 'nope.ipynb'), '--json']), /notebook not found: .*nope\.ipynb/);
  });

  test('not JSON', async () => {
    const file = path.join(dir, 'bad.ipynb');
    fs.writeFileSync(file, '{not json');
    expectError(await cli(['record', file, '--json']), /is not a notebook \(invalid JSON/);
  });

  test('not nbformat 4', async () => {
    const file = path.join(dir, 'old.ipynb');
    fs.writeFileSync(file, JSON.stringify({ nbformat: 3, cells: [] }));
    expectError(await cli(['record', file, '--json']), /nbformat 3; only nbformat 4 is supported/);
  });

  test('--server without --token', async () => {
    const nb = writeNotebook(dir, 'x.ipynb', ['x = 1']);
    expectError(await cli(['record', nb, '--server', 'http://127.0.0.1:9']), /--server needs --token/);
  });

  test('nothing listening at --server', async () => {
    const nb = writeNotebook(dir, 'y.ipynb', ['x = 1']);
    const port = await freePort();
    expectError(
      await cli(['record', nb, '--server', `http://127.0.0.1:${port}`, '--token', 't']),
      /no Jupyter server answers at http:\/\/127\.0\.0\.1/
    );
  });
});

describe('record against a running server (--server/--token)', () => {
  let server: ChildProcess;
  let url: string;
  const token = randomBytes(16).toString('hex');
  let root: string;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'elastic-cli-server-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = spawn(
      JUPYTER,
      ['server', `--port=${port}`, '--no-browser', '--allow-root', `--ServerApp.token=${token}`, `--ServerApp.root_dir=${root}`],
      { env: { ...process.env, JUPYTER_RUNTIME_DIR: path.join(root, 'runtime') }, stdio: 'ignore' }
    );
    for (let i = 0; i < 240; i++) {
      const ok = await fetch(`${url}/elastic-notebook/api/health`, { headers: { Authorization: `token ${token}` } })
        .then(r => r.ok)
        .catch(() => false);
      if (ok) {
        return;
      }
      await new Promise(r => setTimeout(r, 250));
    }
    throw new Error('test Jupyter server did not start');
  });

  afterAll(async () => {
    server.kill('SIGTERM');
    await new Promise(r => server.once('exit', r));
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('records through the given server, with the notebook folder as working directory', async () => {
    fs.mkdirSync(path.join(root, 'sub'));
    fs.writeFileSync(path.join(root, 'sub', 'value.txt'), '7');
    const nb = writeNotebook(path.join(root, 'sub'), 'n.ipynb', ['v = int(open("value.txt").read())', 'w = v * 6']);
    const run = await cli(['record', path.join('sub', 'n.ipynb'), '--json', '--server', url, '--token', token], root);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(sets(JSON.parse(run.stdout))).toEqual([
      { cell: 0, reads: [], writes: ['v'], deletes: [], error: null },
      { cell: 1, reads: ['v'], writes: ['w'], deletes: [], error: null }
    ]);
    expect(nb).toContain('sub');
    // The CLI shut its kernel down and left the server running.
    const kernels = await (await fetch(`${url}/api/kernels`, { headers: { Authorization: `token ${token}` } })).json();
    expect(kernels).toEqual([]);
  });

  test('a wrong token is reported', async () => {
    const nb = writeNotebook(root, 'z.ipynb', ['x = 1']);
    const run = await cli(['record', 'z.ipynb', '--json', '--server', url, '--token', 'wrong'], root);
    expect(nb).toContain('z.ipynb');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/rejected the token/);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const port = (probe.address() as net.AddressInfo).port;
      probe.close(() => resolve(port));
    });
  });
}
