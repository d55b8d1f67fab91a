/**
 * `elastic-notebook record` as a child process against real Jupyter servers (its own, and one the
 * test started for --server/--token), with the real kernel agent and companion.
 */
import fs from 'fs';
import path from 'path';
import {
  askKernel,
  errorLine,
  jupyterServersMentioning,
  requireBuiltCli,
  sharedTestServer,
  runCli,
  startCli,
  tempDir,
  writeNotebook
} from './helpers';

jest.setTimeout(120_000);

/** The fields of each execution that the tests compare exactly. */
const summary = (graph: any) =>
  graph.executions.map((e: any) => ({
    index: e.index,
    cell: e.cellIndex,
    reads: [...e.reads].sort(),
    writes: [...e.writes].sort(),
    deletes: [...e.deletes].sort(),
    error: e.error
  }));

/** Pids of processes whose working directory is `dir` (kernels started for a notebook there). */
function processesIn(dir: string): number[] {
  const real = fs.realpathSync(dir);
  return fs
    .readdirSync('/proc')
    .filter(entry => /^\d+$/.test(entry))
    .filter(entry => {
      try {
        const state = fs.readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.[0];
        return state !== 'Z' && fs.readlinkSync(`/proc/${entry}/cwd`) === real;
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) {
      return true;
    }
    await new Promise(resolve => setTimeout(resolve, 200));
  }
  return check();
}

let dir: string;

beforeAll(() => {
  requireBuiltCli();
  dir = tempDir();
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('record with its own Jupyter server', () => {
  test('runs every code cell in the notebook folder and prints the exact history graph as one JSON object', async () => {
    const folder = path.join(dir, 'analysis');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'numbers.txt'), '4 5 6\n');
    const nb = writeNotebook(path.join(folder, 'basic.ipynb'), [
      'data = [int(v) for v in open("numbers.txt").read().split()]', // relative: cwd is the notebook's folder
      { markdown: '# notes' },
      'total = sum(data)\nbackup = data',
      'data.append(total)', // in place, through the alias `backup` too
      'def scaled(k):\n    return [k * v for v in data]\nfactor = 3',
      'result = scaled(factor)', // reads the global `data` through the function
      'raise ValueError("stop here")', // recorded, and the run goes on
      '%time squares = [v * v for v in data]', // a line magic
      'listing = !echo hello', // a shell line
      '   \n', // blank: not sent, as in JupyterLab
      'del backup'
    ]);
    // Run from elsewhere with a relative path: only the notebook's folder may matter.
    const run = await runCli(['record', path.relative(dir, nb), '--json'], { cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    const graph = JSON.parse(run.stdout);
    expect(summary(graph)).toEqual([
      { index: 0, cell: 0, reads: [], writes: ['data'], deletes: [], error: null },
      { index: 1, cell: 2, reads: ['data'], writes: ['backup', 'total'], deletes: [], error: null },
      { index: 2, cell: 3, reads: ['data', 'total'], writes: ['backup', 'data'], deletes: [], error: null },
      { index: 3, cell: 4, reads: [], writes: ['factor', 'scaled'], deletes: [], error: null },
      { index: 4, cell: 5, reads: ['data', 'factor', 'scaled'], writes: ['result'], deletes: [], error: null },
      { index: 5, cell: 6, reads: [], writes: [], deletes: [], error: 'ValueError: stop here' },
      { index: 6, cell: 7, reads: ['data'], writes: ['squares'], deletes: [], error: null },
      { index: 7, cell: 8, reads: [], writes: ['listing'], deletes: [], error: null },
      { index: 8, cell: 10, reads: [], writes: [], deletes: ['backup'], error: null }
    ]);
    for (const execution of graph.executions) {
      expect(execution.durationMs).toBeGreaterThan(0);
    }
    const versions = (name: string) =>
      graph.variables.filter((v: any) => v.name === name).map((v: any) => [v.version, v.producedBy, v.active]);
    expect(versions('data')).toEqual([
      [0, 0, false],
      [1, 2, true]
    ]);
    expect(versions('backup')).toEqual([
      [0, 1, false],
      [1, 2, false]
    ]);
    expect(versions('total')).toEqual([[0, 1, true]]);
    expect(graph.groups.map((g: string[]) => [...g].sort()).sort()).toEqual([
      ['data'],
      ['factor'],
      ['listing'],
      ['result'],
      ['scaled'],
      ['squares'],
      ['total']
    ]);
    expect(graph.notebook).toBe(fs.realpathSync(nb));
    expect(graph.kernelId).toEqual(expect.any(String));
    expect(graph.connectionFile).toBeUndefined();
    // Its server is gone, and so is the kernel that ran in the notebook's folder.
    expect(jupyterServersMentioning(folder)).toEqual([]);
    expect(processesIn(folder)).toEqual([]);
  });

  test('--keep-kernel leaves the kernel (and the server it runs on) answering on its connection file', async () => {
    const folder = path.join(dir, 'keep');
    const nb = writeNotebook(path.join(folder, 'keep.ipynb'), ['kept = 41', 'kept += 1']);
    const run = await runCli(['record', nb, '--json', '--keep-kernel']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    try {
      expect(summary(out).map((e: any) => e.writes)).toEqual([['kept'], ['kept']]);
      expect(fs.existsSync(out.connectionFile)).toBe(true);
      expect(path.basename(out.connectionFile)).toBe(`kernel-${out.kernelId}.json`);
      expect(jupyterServersMentioning(folder)).toEqual([out.server.pid]);
      // The kernel that ran the notebook answers, with its state.
      expect(await askKernel(out.connectionFile, 'kept')).toBe('42');
      // And the kept server still knows it as a live kernel of a session.
      const kernels = await fetch(new URL('api/kernels', out.server.url), {
        headers: { Authorization: `token ${out.server.token}` }
      }).then(r => r.json());
      expect(kernels.map((k: any) => k.id)).toEqual([out.kernelId]);
    } finally {
      if (out.server?.pid) {
        process.kill(out.server.pid, 'SIGTERM');
        await waitFor(() => jupyterServersMentioning(folder).length === 0, 20_000);
      }
    }
  });

  test('Ctrl-C stops its server and kernel and exits 130 with one line', async () => {
    const folder = path.join(dir, 'interrupt');
    const nb = writeNotebook(path.join(folder, 'slow.ipynb'), ['import time', 'time.sleep(120)']);
    const cli = startCli(['record', nb, '--json']);
    // Wait until the slow cell runs: the kernel sits in the notebook's folder.
    const kernelUp = await waitFor(() => processesIn(folder).length > 0, 60_000);
    expect(kernelUp).toBe(true);
    await new Promise(resolve => setTimeout(resolve, 3000));
    cli.child.kill('SIGINT');
    const run = await cli.done;
    expect(run.code).toBe(130);
    expect(run.stdout).toBe('');
    expect(errorLine(run)).toBe('interrupted (SIGINT); stopping what was started');
    expect(jupyterServersMentioning(folder)).toEqual([]);
    expect(await waitFor(() => processesIn(folder).length === 0, 10_000)).toBe(true);
  });
});

describe('record against a running server (--server/--token)', () => {
  const shared = sharedTestServer();

  // Every test must leave the server without sessions (the CLI shuts its kernel down).
  afterEach(() => shared.deleteSessions());

  const serverArgs = shared.args;

  test('records through the given server in the notebook folder, then shuts its kernel down', async () => {
    fs.mkdirSync(path.join(shared.root, 'sub', 'deeper'), { recursive: true });
    fs.writeFileSync(path.join(shared.root, 'sub', 'deeper', 'value.txt'), '7');
    writeNotebook(path.join(shared.root, 'sub', 'deeper', 'n.ipynb'), [
      'import os\nv = int(open("value.txt").read())',
      'here = os.getcwd()',
      'w = {"v": v}\nw["twice"] = [v, v]',
      'w["twice"].append(v * 6)\ndel v'
    ]);
    const run = await runCli(['record', path.join('sub', 'deeper', 'n.ipynb'), '--json', ...serverArgs()], {
      cwd: shared.root
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const graph = JSON.parse(run.stdout);
    expect(summary(graph)).toEqual([
      { index: 0, cell: 0, reads: [], writes: ['os', 'v'], deletes: [], error: null },
      { index: 1, cell: 1, reads: ['os'], writes: ['here'], deletes: [], error: null },
      { index: 2, cell: 2, reads: ['v'], writes: ['w'], deletes: [], error: null },
      { index: 3, cell: 3, reads: ['v', 'w'], writes: ['w'], deletes: ['v'], error: null }
    ]);
    expect(
      graph.variables
        .filter((v: any) => v.active)
        .map((v: any) => v.name)
        .sort()
    ).toEqual(['here', 'os', 'w']);
    const sessions = await shared.server.get('api/sessions').then(r => r.json());
    expect(sessions).toEqual([]);
    const kernels = await shared.server.get('api/kernels').then(r => r.json());
    expect(kernels).toEqual([]);
  });

  test('without --json prints readable tables of executions, variables and groups', async () => {
    writeNotebook(path.join(shared.root, 'table.ipynb'), ['p = [1]\nq = p', 'p.append(2)', '1 / 0']);
    const run = await runCli(['record', 'table.ipynb', ...serverArgs()], { cwd: shared.root });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(`History of ${path.join(fs.realpathSync(shared.root), 'table.ipynb')}`);
    expect(lines).toContain('Executions (3)');
    expect(run.stdout).toMatch(/^ {2}0 {2}0 +[\d.]+ +- +p, q +-$/m);
    expect(run.stdout).toMatch(/^ {2}1 {2}1 +[\d.]+ +p +p, q +-$/m);
    expect(run.stdout).toMatch(/^ {2}2 {2}2 +[\d.]+ +- +- +- +ZeroDivisionError: division by zero$/m);
    expect(run.stdout).toMatch(/^ {2}p +1 +#1 +yes$/m);
    expect(run.stdout).toMatch(/^Linked groups: \{p, q\}$/m);
  });

  test('a notebook without code records an empty graph at once', async () => {
    writeNotebook(path.join(shared.root, 'text.ipynb'), [{ markdown: '# only prose' }, '  \n']);
    const run = await runCli(['record', 'text.ipynb', '--json', ...serverArgs()], { cwd: shared.root });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const graph = JSON.parse(run.stdout);
    expect([graph.executions, graph.variables, graph.groups]).toEqual([[], [], []]);
  });

  test('--stop-on-error stops at the first cell that raises, prints the graph so far and exits 1', async () => {
    writeNotebook(path.join(shared.root, 'stops.ipynb'), ['a = 1', 'a / 0', 'b = 2']);
    const run = await runCli(['record', 'stops.ipynb', '--json', '--stop-on-error', ...serverArgs()], {
      cwd: shared.root
    });
    expect(run.code).toBe(1);
    expect(errorLine(run)).toBe('cell 1 raised ZeroDivisionError: division by zero; stopped there (--stop-on-error)');
    expect(summary(JSON.parse(run.stdout)).map((e: any) => [e.cell, e.error])).toEqual([
      [0, null],
      [1, 'ZeroDivisionError: division by zero']
    ]);
  });

  test('a notebook already open in a session gets a fresh kernel of its own; the open one is untouched', async () => {
    writeNotebook(path.join(shared.root, 'open.ipynb'), ['fresh = "yes"']);
    const opened = await fetch(new URL('api/sessions', shared.server.url), {
      method: 'POST',
      headers: { Authorization: `token ${shared.server.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ path: 'open.ipynb', name: 'open.ipynb', type: 'notebook', kernel: { name: 'python3' } })
    }).then(r => r.json());
    const run = await runCli(['record', 'open.ipynb', '--json', ...serverArgs()], { cwd: shared.root });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const graph = JSON.parse(run.stdout);
    expect(graph.kernelId).not.toBe(opened.kernel.id);
    expect(summary(graph).map((e: any) => e.writes)).toEqual([['fresh']]);
    const sessions = await shared.server.get('api/sessions').then(r => r.json());
    expect(sessions.map((s: any) => [s.path, s.kernel.id])).toEqual([['open.ipynb', opened.kernel.id]]);
  });

  test('--keep-kernel leaves the kernel running on the given server', async () => {
    writeNotebook(path.join(shared.root, 'keep.ipynb'), ['import numpy as np\narr = np.arange(5)', 'arr *= 2']);
    const run = await runCli(['record', 'keep.ipynb', '--json', '--keep-kernel', ...serverArgs()], {
      cwd: shared.root
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(summary(out).map((e: any) => e.writes)).toEqual([['arr', 'np'], ['arr']]);
    expect(out.server).toBeUndefined();
    expect(fs.existsSync(out.connectionFile)).toBe(true);
    const kernels = await shared.server.get('api/kernels').then(r => r.json());
    expect(kernels.map((k: any) => k.id)).toEqual([out.kernelId]);
    expect(await askKernel(out.connectionFile, 'arr.tolist()')).toBe('[0, 2, 4, 6, 8]');
  });
});
