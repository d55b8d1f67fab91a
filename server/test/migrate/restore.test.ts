/**
 * The restore orchestrator's overlap of kernel start and fetch (restore.ts), with the fake kernel
 * and agent of the companion tests and a real local bundle: the kernel is asked for only once the
 * history is known good, starts (and imports) while the payloads are fetched, and is closed again
 * when the fetch fails; the timings name the phases.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { IExecutionRecord } from '../../src/ahg/types';
import { checkpoint } from '../../src/migrate/checkpoint';
import { IRestoreKernel, restore } from '../../src/migrate/restore';
import { IMigrationStore } from '../../src/migrate/types';
import { openStore } from '../../src/storage/index';
import { FakeKernel, Gate } from '../companion/fakeKernels';
import { record } from '../companion/records';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elastic-restore-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A bundle of two cells: `model` (slow to make: copied) and `label` (cheap: re-run). */
async function bundle(modelReplayable = true): Promise<string> {
  const uri = path.join(dir, 'bundle');
  const source = new FakeKernel('source');
  const cells: IExecutionRecord[] = [
    record(0, {
      code: 'model = [1, 2, 3]\n',
      durationMs: 60_000,
      writes: ['model'],
      groups: [['model']],
      ...(modelReplayable ? {} : { nondeterministic: true }),
      variables: { model: { type: 'list', size: 100, serializable: true } }
    } as Partial<IExecutionRecord>),
    record(1, {
      code: 'label = "trained"\n',
      durationMs: 1,
      writes: ['label'],
      groups: [['label'], ['model']],
      variables: { label: { type: 'str', size: 50, serializable: true } }
    } as Partial<IExecutionRecord>)
  ];
  cells.forEach(c => source.run(c.code));
  await checkpoint({
    channel: source.channel(),
    records: cells,
    kernelId: 'source',
    runId: 'run-1',
    store: openStore(uri, { cwd: dir }),
    objective: 'balanced',
    notebook: { path: null, kernelName: null }
  });
  return uri;
}

/** A kernel opener over a fresh fake kernel (ready after `startMs`), counting what it is asked. */
function opener(startMs = 0, configure: (kernel: FakeKernel, index: number) => void = () => undefined) {
  const opened: FakeKernel[] = [];
  const closed: FakeKernel[] = [];
  const openKernel = async (): Promise<IRestoreKernel> => {
    await new Promise(resolve => setTimeout(resolve, startMs));
    const kernel = new FakeKernel(`k${opened.length}`);
    configure(kernel, opened.length);
    opened.push(kernel);
    return { ...kernel.channel(), startMs: 700, bootstrapMs: 40, close: async () => void closed.push(kernel) };
  };
  return { opened, closed, openKernel };
}

/** The local store of `uri`, with the payload fetch (the second fetch) held by `gate` or failing. */
function storeWithSlowPayloads(uri: string, gate: Gate | null, fail = false): IMigrationStore {
  const store = openStore(uri, { cwd: dir });
  let fetches = 0;
  const fetch = store.fetch.bind(store);
  return Object.assign(Object.create(store), {
    fetch: async (...args: Parameters<IMigrationStore['fetch']>) => {
      fetches += 1;
      if (fetches === 2) {
        await gate?.pass();
        if (fail) {
          throw new Error('the network went away');
        }
      }
      return fetch(...args);
    }
  });
}

describe('restore', () => {
  test('the kernel starts and imports while the payloads are fetched; one call does the rest', async () => {
    const uri = await bundle();
    const gate = new Gate();
    const { opened, openKernel } = opener();
    const steps: string[] = [];
    const restoring = restore({ store: storeWithSlowPayloads(uri, gate), openKernel, onStep: m => steps.push(m) });
    await gate.reached;
    // The fetch is held: the kernel was opened and asked to import meanwhile.
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(opened).toHaveLength(1);
    expect(opened[0].calls).toEqual(['imports']);
    gate.release();
    const outcome = await restoring;
    expect(opened[0].calls).toEqual(['imports', 'restore']);
    expect(opened[0].restoreArgs[0].imports).toBeUndefined(); // imported already
    expect(outcome.verification.ok).toBe(true);
    expect(outcome.loaded).toEqual(['model']);
    expect(outcome.rerun).toEqual([1]);
    expect(outcome.timings).toMatchObject({ kernelStartMs: 700, bootstrapMs: 40, roundTrips: 1, attempts: 1 });
    for (const key of ['totalMs', 'fetchMs', 'importMs', 'loadMs', 'rerunMs', 'verifyMs', 'adoptMs'] as const) {
      expect(outcome.timings[key]).toBeGreaterThanOrEqual(0);
    }
    expect(steps.indexOf('fetching the payloads')).toBeLessThan(
      steps.indexOf("importing the session's modules while the payloads arrive")
    );
  });

  test('without a fetch to wait for, the imports come with the restore call: still one round trip', async () => {
    const uri = await bundle();
    const { opened, openKernel } = opener(200);
    const outcome = await restore({ store: openStore(uri, { cwd: dir }), openKernel });
    expect(opened[0].calls).toEqual(['restore']);
    expect(opened[0].restoreArgs[0].imports).toEqual({ codes: ['label = "trained"\n'], available: [] });
    expect(outcome.timings.roundTrips).toBe(1);
  });

  test('a payload that loads but does not match the checkpoint is recomputed instead, in a fresh kernel', async () => {
    const uri = await bundle();
    // The first kernel's unpickling changes the model (statsmodels resets a flag on load).
    const { opened, closed, openKernel } = opener(
      0,
      (kernel, index) => index === 0 && kernel.lossyLoads.set('model', [1, 2])
    );
    const steps: string[] = [];
    const outcome = await restore({ store: openStore(uri, { cwd: dir }), openKernel, onStep: m => steps.push(m) });
    expect(opened).toHaveLength(2);
    expect(closed).toEqual([opened[0]]);
    expect(outcome.verification.ok).toBe(true);
    expect(outcome.loaded).toEqual([]);
    expect(outcome.rerun).toEqual([0, 1]);
    expect(opened[1].namespace.get('model')).toEqual([1, 2, 3]);
    expect(outcome.fallback).toEqual([
      { members: ['model'], reason: expect.stringMatching(/loaded but model did not match the checkpoint/) }
    ]);
    expect(outcome.timings.attempts).toBe(2);
    expect(steps).toContain('recomputing what did not load as checkpointed: model');
  });

  test('one that cannot be recomputed is reported as it loaded', async () => {
    const uri = await bundle(false);
    const { opened, closed, openKernel } = opener(0, kernel => kernel.lossyLoads.set('model', [1, 2]));
    const outcome = await restore({ store: openStore(uri, { cwd: dir }), openKernel });
    expect(opened).toHaveLength(1);
    expect(closed).toEqual([]);
    expect(outcome.verification).toMatchObject({ ok: false, differ: ['model'] });
    expect(outcome.loaded).toEqual(['model']);
    expect(outcome.fallback).toEqual([]);
    expect(outcome.timings.attempts).toBe(1);
  });

  test('a damaged history fails the restore before any kernel is asked for', async () => {
    const uri = await bundle();
    const manifest = JSON.parse(fs.readFileSync(path.join(uri, 'manifest.json'), 'utf8'));
    const history = path.join(uri, manifest.history.file);
    fs.writeFileSync(history, fs.readFileSync(history, 'utf8').replace('trained', 'trainee'));
    const { opened, openKernel } = opener();
    await expect(restore({ store: openStore(uri, { cwd: dir }), openKernel })).rejects.toThrow(
      /history file .* is damaged \(checksum mismatch\)/
    );
    expect(opened).toHaveLength(0);
  });

  test('a payload fetch that fails closes the kernel started meanwhile', async () => {
    const uri = await bundle();
    const { opened, closed, openKernel } = opener();
    await expect(restore({ store: storeWithSlowPayloads(uri, null, true), openKernel })).rejects.toThrow(
      'the network went away'
    );
    expect(opened).toHaveLength(1);
    expect(closed).toEqual(opened);
  });

  test('a kernel that cannot be opened stops the payload fetch and is the error', async () => {
    const uri = await bundle();
    const store = openStore(uri, { cwd: dir });
    let fetches = 0;
    let stopped = false;
    const slow = Object.assign(Object.create(store), {
      fetch: async (...args: Parameters<IMigrationStore['fetch']>) => {
        fetches += 1;
        if (fetches === 2) {
          // Never done on its own: only the abort ends it.
          await new Promise((_, reject) =>
            args[2]?.signal?.addEventListener('abort', () => ((stopped = true), reject(new Error('stopped'))))
          );
        }
        return store.fetch(...args);
      }
    });
    const openKernel = async (): Promise<IRestoreKernel> => {
      throw new Error('the kernel died while starting');
    };
    await expect(restore({ store: slow, openKernel })).rejects.toThrow('the kernel died while starting');
    expect(stopped).toBe(true);
  });

  test('a cancellation during the fetch closes the kernel and says so', async () => {
    const uri = await bundle();
    const gate = new Gate();
    const controller = new AbortController();
    const { opened, closed, openKernel } = opener();
    const restoring = restore({ store: storeWithSlowPayloads(uri, gate), openKernel, signal: controller.signal });
    await gate.reached;
    controller.abort();
    gate.release();
    await expect(restoring).rejects.toThrow(/cancelled/);
    expect(closed).toEqual(opened);
  });
});
