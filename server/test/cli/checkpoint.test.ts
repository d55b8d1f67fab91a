/**
 * `elastic-notebook checkpoint` and `restore` as child processes against a real Jupyter server
 * with the real kernel agent and companion: the documented JSON, a restore that is right, and
 * clear one-line failures.
 */
import fs from 'fs';
import path from 'path';
import {
  askKernel,
  errorLine,
  requireBuiltCli,
  runCli,
  sharedTestServer,
  startCli,
  tempDir,
  writeNotebook
} from './helpers';

jest.setTimeout(180_000);

let dataDir: string;
const env = () => ({ ELASTIC_NOTEBOOK_DATA_DIR: dataDir });

beforeAll(() => {
  requireBuiltCli();
  dataDir = tempDir('en-cli-data-');
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('checkpoint and restore through a running server', () => {
  const shared = sharedTestServer();

  // Every test must leave the server without sessions (the CLI shuts its kernel down).
  afterEach(() => shared.deleteSessions());

  test('a checkpoint prints the plan, bytes and timings; restore brings back every variable and verifies it', async () => {
    const file = writeNotebook(path.join(shared.root, 'session.ipynb'), [
      'import numpy as np\nbase = np.arange(1_000_000, dtype=np.float64)',
      'view = base[::2]\nrows = [base, base]\nlabel = "run-" + str(len(rows))',
      'def scaled(k):\n    return base.sum() * k + offset',
      'offset = 3\ntotal = scaled(2)',
      'noise = np.random.rand(5)'
    ]);
    // "never copy" noise: the restore must re-run its unseeded cell and get the same numbers.
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    json.metadata.elastic_notebook = { neverCopy: ['noise'] };
    fs.writeFileSync(file, JSON.stringify(json));
    const bundle = path.join(shared.root, 'bundles', 'first');
    const made = await runCli(
      ['checkpoint', 'session.ipynb', '--out', bundle, '--json', '--keep-kernel', ...shared.args()],
      {
        cwd: shared.root,
        env: env()
      }
    );
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    const out = JSON.parse(made.stdout);
    expect(out.bundle).toBe(bundle);
    expect(out.plan.objective).toBe('balanced');
    expect(out.executions).toBe(5);
    const active = ['base', 'label', 'noise', 'offset', 'rows', 'scaled', 'total', 'view'];
    // Every active variable is either copied or recomputed by re-running executions.
    const recomputed = out.plan.groups.filter((g: any) => g.decision === 'recompute').flatMap((g: any) => g.members);
    expect(out.plan.copy.filter((name: string) => recomputed.includes(name))).toEqual([]);
    expect([...out.plan.copy, ...recomputed]).toEqual(expect.arrayContaining(active));
    expect(recomputed).toContain('noise');
    expect(out.plan.rerun).toContain(4);
    expect(out.bytes).toBeGreaterThan(0);
    expect(out.timings.totalMs).toBeGreaterThan(0);
    for (const part of ['planMs', 'serializeMs', 'publishMs', 'commitMs', 'runMs']) {
      expect(typeof out.timings[part]).toBe('number');
    }
    const manifest = JSON.parse(fs.readFileSync(path.join(bundle, 'manifest.json'), 'utf8'));
    expect(manifest.formatVersion).toBe(1);
    expect(manifest.checkpointId).toBe(out.checkpointId);

    const restored = await runCli(['restore', bundle, '--json', '--keep-kernel', ...shared.args()], {
      cwd: shared.root,
      env: env()
    });
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    const back = JSON.parse(restored.stdout);
    expect(back.verification.ok).toBe(true);
    expect(back.verification.differ).toEqual([]);
    expect(back.fallback).toEqual([]);
    expect([...back.loaded].sort()).toEqual([...out.plan.copy].sort());
    expect(back.rerun).toEqual(out.plan.rerun);
    expect(back.timings.totalMs).toBeGreaterThan(0);
    const ask = (expression: string) => askKernel(back.connectionFile, expression);
    // Values, sharing inside and across variables, functions reading live globals, randomness.
    expect(
      await ask('(float(base.sum()), view.base is base, rows[0] is base and rows[1] is base, label, float(total))')
    ).toBe("(499999500000.0, True, True, 'run-2', 999999000003.0)");
    expect(await ask('float((globals().__setitem__("offset", 10), scaled(0))[1])')).toBe('10.0');
    // Unseeded randomness gives the very numbers of the original session, copied or re-run.
    const original = await askKernel(out.connectionFile, 'noise.tolist()');
    expect(await ask('noise.tolist()')).toBe(original);
    await shared.server.delete(`api/kernels/${out.kernelId}`);
    // The restored kernel keeps recording: the history continues where the checkpoint left it.
    const graph = await shared.server.get(`elastic-notebook/api/kernels/${back.kernelId}/graph`).then(r => r.json());
    expect(graph.executions).toHaveLength(5);
    await shared.server.delete(`api/kernels/${back.kernelId}`);
  });

  test('a second checkpoint to the same bundle replaces the first and drops its payloads', async () => {
    writeNotebook(path.join(shared.root, 'twice.ipynb'), [
      'import numpy as np\nbig = np.ones(500_000)',
      'small = [1, 2, 3]'
    ]);
    const bundle = path.join(shared.root, 'bundles', 'twice');
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const run = await runCli(
        ['checkpoint', 'twice.ipynb', '--out', bundle, '--json', '--objective', 'fast-restore', ...shared.args()],
        {
          cwd: shared.root,
          env: env()
        }
      );
      expect(run.code).toBe(0);
      ids.push(JSON.parse(run.stdout).checkpointId);
    }
    expect(ids[0]).not.toBe(ids[1]);
    expect(fs.readdirSync(path.join(bundle, 'payloads'))).toEqual([ids[1]]);
    expect(JSON.parse(fs.readFileSync(path.join(bundle, 'manifest.json'), 'utf8')).checkpointId).toBe(ids[1]);

    // list, describe and delete
    const root = path.join(shared.root, 'bundles');
    fs.mkdirSync(path.join(root, 'not-a-bundle'), { recursive: true });
    const listed = JSON.parse((await runCli(['list', root, '--json'])).stdout);
    const entry = listed.checkpoints.find((c: any) => c.uri === bundle);
    expect(entry).toMatchObject({
      checkpointId: ids[1],
      error: null,
      notebookPath: path.join(fs.realpathSync(shared.root), 'twice.ipynb')
    });
    expect(listed.checkpoints.some((c: any) => c.uri.endsWith('not-a-bundle'))).toBe(false);
    const described = JSON.parse((await runCli(['describe', bundle, '--json'])).stdout);
    expect(described.complete).toBe(true);
    expect([...described.copied, ...described.recomputed].sort()).toEqual(expect.arrayContaining(['big', 'small']));
    const deleted = await runCli(['delete', bundle, '--json']);
    expect(deleted.code).toBe(0);
    expect(fs.existsSync(path.join(bundle, 'manifest.json'))).toBe(false);
    const again = await runCli(['describe', bundle]);
    expect(again.code).toBe(1);
    expect(errorLine(again)).toMatch(/no (checkpoint|bundle)/);
  });
});

describe('a checkpoint killed at any moment', () => {
  const shared = sharedTestServer();
  afterEach(() => shared.deleteSessions());

  test('leaves the previous bundle intact and restorable, never a partial one', async () => {
    writeNotebook(path.join(shared.root, 'killed.ipynb'), [
      'import numpy as np',
      'big = np.random.rand(4_000_000)',
      'parts = [big[:10], big[10:20]]\nbig_sum = float(big.sum())'
    ]);
    const bundle = path.join(shared.root, 'bundles', 'killed');
    const args = [
      'checkpoint',
      'killed.ipynb',
      '--out',
      bundle,
      '--json',
      '--objective',
      'fast-restore',
      ...shared.args()
    ];
    const first = await runCli(args, { cwd: shared.root, env: env() });
    expect(first.code).toBe(0);
    const firstId = JSON.parse(first.stdout).checkpointId;
    const seen = new Set<string>([firstId]);
    // A fixed pseudo-random sequence of kill times across the whole run (start-up, cells,
    // serialization, upload, commit).
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 6; i++) {
      const run = startCli(args, { cwd: shared.root, env: env() });
      await new Promise(resolve => setTimeout(resolve, 300 + next() * 5000));
      run.child.kill('SIGKILL');
      const ended = await run.done;
      const described = await runCli(['describe', bundle, '--json']);
      expect(described.stderr).toBe('');
      expect(described.code).toBe(0);
      const description = JSON.parse(described.stdout);
      expect(description.complete).toBe(true);
      if (ended.signal === null) {
        // It finished before the kill: its checkpoint is the current one.
        expect(description.checkpointId).toBe(JSON.parse(ended.stdout).checkpointId);
      }
      seen.add(description.checkpointId);
      await shared.deleteSessions();
    }
    const restored = await runCli(['restore', bundle, '--json'], { cwd: shared.root, env: env() });
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(JSON.parse(restored.stdout).verification.ok).toBe(true);
  });
});

describe('clear failures', () => {
  test('a bad objective is a usage error', async () => {
    const dir = tempDir();
    const nb = writeNotebook(path.join(dir, 'n.ipynb'), ['x = 1']);
    const run = await runCli(['checkpoint', nb, '--out', path.join(dir, 'b'), '--objective', 'fastest']);
    expect(run.code).not.toBe(0);
    expect(errorLine(run)).toMatch(/--objective.*must be one of fast-migrate, fast-restore, balanced/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('restoring a folder without a bundle, or a bundle from a newer version, is refused', async () => {
    const dir = tempDir();
    const none = await runCli(['restore', dir, '--json'], { env: env() });
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('');
    expect(errorLine(none)).toMatch(
      new RegExp(`no (checkpoint|bundle).*${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`)
    );
    fs.writeFileSync(
      path.join(dir, 'manifest.json'),
      JSON.stringify({ format: 'elastic-notebook-bundle', formatVersion: 99, checkpointId: 'x' })
    );
    const newer = await runCli(['restore', dir, '--json'], { env: env() });
    expect(newer.code).toBe(1);
    expect(errorLine(newer)).toMatch(/format version 99 is newer than this Elastic Notebook supports \(1\)/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
