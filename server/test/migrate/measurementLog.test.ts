/**
 * The measurement log: what checkpoints and restores observe, the file (both formats, damaged
 * ones), store targets, and the remembered plan decisions.
 */
import { promises as fs } from 'fs';
import os from 'os';
import path from 'path';
import {
  checkpointObservations,
  IPlannedWork,
  MeasurementLog,
  REMEMBERED_PLANS,
  restoreObservations,
  restoreWorkMs,
  storeTarget
} from '../../src/migrate/measurementLog';
import { RECENT_RUNS } from '../../src/planner/index';

const planned: IPlannedWork = {
  copiedGroups: 2,
  rerunExecutions: 4,
  rerunRecordedMs: 100,
  stateBytes: 300e6,
  estimate: { migrateMs: 1, restoreMs: 1, totalMs: 2, objectiveCost: 2 }
};

describe('restore observations', () => {
  test("hashing arrays' memory while verifying is observed apart from the rest of the fixed work", () => {
    const timings = {
      totalMs: 3000,
      fetchMs: 30,
      rerunMs: 140,
      loadMs: 200,
      importMs: 400,
      verifyMs: 90,
      attempts: 1,
      kernelStartMs: 1500,
      adoptMs: 5
    };
    const observations = restoreObservations({
      bytes: { fetched: 300e6, loaded: 300e6 },
      timings,
      planned,
      hashed: { bytes: 250e6, ms: 25 }
    });
    expect(observations).toContainEqual({ kind: 'hash', bytes: 250e6, ms: 25, ops: 1 });
    expect(observations).toContainEqual({
      kind: 'restore',
      bytes: 50e6,
      ms: 3000 - 1500 - 30 - 140 - 200 - 400 - 25,
      ops: 1
    });
    // Nothing hashed (no arrays, or an older agent): no hash observation, the whole state is fixed work.
    const none = restoreObservations({
      bytes: { fetched: 300e6, loaded: 300e6 },
      timings,
      planned,
      hashed: { bytes: 0, ms: 0 }
    });
    expect(none.map(o => o.kind)).not.toContain('hash');
    expect(none).toContainEqual({ kind: 'restore', bytes: 300e6, ms: 3000 - 1500 - 30 - 140 - 200 - 400, ops: 1 });
  });

  test("a checkpoint's array hashing is observed apart too, and never makes a time negative", () => {
    const outcome = {
      plan: {
        groups: [
          { sizeBytes: 2e9, decision: 'recompute' },
          { sizeBytes: 1e6, decision: 'copy' }
        ]
      },
      manifest: { stats: { payloadBytes: 1e6 } },
      bytes: 1e6,
      timings: { totalMs: 200, planMs: 4, serializeMs: 2, writeMs: 3, publishMs: 1, commitMs: 8 },
      hashed: { bytes: 2e9, ms: 150 }
    } as unknown as Parameters<typeof checkpointObservations>[0];
    expect(checkpointObservations(outcome)).toEqual([
      { kind: 'serialize', bytes: 1e6, ms: 2, ops: 1 },
      { kind: 'write', bytes: 1e6, ms: 4, ops: 2 },
      { kind: 'hash', bytes: 2e9, ms: 150, ops: 1 },
      { kind: 'checkpoint', bytes: 1e6, ms: 200 - 2 - 3 - 1 - 150, ops: 1 }
    ]);
    const overlapped = { ...outcome, hashed: { bytes: 3e9, ms: 400 } } as typeof outcome;
    expect(checkpointObservations(overlapped)[3]).toEqual({ kind: 'checkpoint', bytes: 0, ms: 0, ops: 1 });
  });

  test('first imports during a load are not counted as deserializing', () => {
    const timings = { totalMs: 2000, fetchMs: 5, rerunMs: 0, loadMs: 1200, importMs: 1000, verifyMs: 10, attempts: 1 };
    const observations = restoreObservations({ bytes: { fetched: 200e6, loaded: 200e6 }, timings });
    expect(observations).toEqual([
      { kind: 'read', bytes: 200e6, ms: 5, ops: 1 },
      { kind: 'deserialize', bytes: 200e6, ms: 200, ops: 1 }
    ]);
  });

  test('import time above the load time (clock skew between calls) never gives a negative time', () => {
    const timings = { totalMs: 10, fetchMs: 1, rerunMs: 0, loadMs: 3, importMs: 4, verifyMs: 1, attempts: 1 };
    const [, deserialize] = restoreObservations({ bytes: { fetched: 0, loaded: 5e6 }, timings });
    expect(deserialize.ms).toBe(0);
  });

  test('with the plan carried out: per-group loads, the fixed cost of re-runs and the rest of the restore', () => {
    const timings = { totalMs: 3000, fetchMs: 30, rerunMs: 140, loadMs: 600, importMs: 400, verifyMs: 90, attempts: 1 };
    expect(restoreObservations({ bytes: { fetched: 300e6, loaded: 300e6 }, timings, planned })).toEqual([
      { kind: 'read', bytes: 300e6, ms: 30, ops: 3 },
      { kind: 'deserialize', bytes: 300e6, ms: 200, ops: 2 },
      { kind: 'rerun', bytes: 0, ms: 40, ops: 4 },
      // Without the kernel's start in the timings, a restore is fetch + re-runs + loads + verify;
      // first imports are priced with the executions that imported, not as fixed work.
      { kind: 'restore', bytes: 300e6, ms: 90, ops: 1 }
    ]);
    expect(restoreWorkMs({ ...timings, kernelMs: 2000 } as typeof timings)).toBe(1000);
    // Restores that report the kernel's start report loads net of imports already.
    const newer = { ...timings, kernelStartMs: 1500, loadMs: 200, adoptMs: 5 };
    expect(restoreObservations({ bytes: { fetched: 300e6, loaded: 300e6 }, timings: newer, planned })).toEqual([
      { kind: 'read', bytes: 300e6, ms: 30, ops: 3 },
      { kind: 'deserialize', bytes: 300e6, ms: 200, ops: 2 },
      { kind: 'rerun', bytes: 0, ms: 40, ops: 4 },
      { kind: 'restore', bytes: 300e6, ms: 3000 - 1500 - 30 - 140 - 200 - 400, ops: 1 }
    ]);
    // The modules its first imports loaded give the time per module (per machine).
    const imported = { ...newer, modulesImported: 800 };
    expect(
      restoreObservations({ bytes: { fetched: 300e6, loaded: 300e6 }, timings: imported, planned })
    ).toContainEqual({
      kind: 'import',
      bytes: 800,
      ms: 400,
      ops: 1
    });
    // A restore that fell back mixes two attempts: only its transfers are observed.
    expect(
      restoreObservations({ bytes: { fetched: 1, loaded: 1 }, timings: { ...timings, attempts: 2 }, planned })
    ).toHaveLength(2);
  });
});

describe('store targets', () => {
  test('each S3 endpoint and bucket is a target of its own; local folders share one', () => {
    const env = {};
    expect(storeTarget('/data/bundle', undefined, env)).toBe('local');
    expect(storeTarget('s3://bucket/a/b', undefined, env)).toBe('s3://bucket');
    expect(storeTarget('s3://bucket/a', 'http://minio:9000/', env)).toBe('s3://minio:9000/bucket');
    expect(storeTarget('s3://other/a', undefined, { AWS_ENDPOINT_URL: 'https://s3.example.org' })).toBe(
      's3://s3.example.org/other'
    );
  });
});

describe('the measurement log file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'en-measurements-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('a file of the first format (a bare list) is read, and saved in the new one', async () => {
    const old = [
      ['write', 'local', 100e6, 1000],
      ['write', 'local', 100e6, 1000],
      ['write', 'local', 100e6, 1000],
      ['deserialize', os.hostname(), 10.4e6, 557]
    ];
    await fs.writeFile(path.join(dir, 'measurements.json'), JSON.stringify(old));
    const log = await MeasurementLog.open(dir);
    const measured = log.measurements('/some/bundle');
    expect(measured.throughputs?.write?.bytesPerSec?.[2]).toBeCloseTo(100e6 / 0.998, -5);
    expect(measured.throughputs?.write?.rateSamples?.[2]).toBe(3);
    await log.save();
    const saved = JSON.parse(await fs.readFile(path.join(dir, 'measurements.json'), 'utf8'));
    expect(saved).toMatchObject({ format: 'elastic-notebook-measurements', version: 2 });
    expect(saved.observations).toHaveLength(4);
  });

  test('a damaged file starts an empty log without failing', async () => {
    await fs.writeFile(path.join(dir, 'measurements.json'), '{"format": "elastic-notebook-measurem');
    const log = await MeasurementLog.open(dir);
    expect(log.measurements('/b')).toEqual({ store: 'local' });
    await fs.writeFile(
      path.join(dir, 'measurements.json'),
      JSON.stringify({ version: 2, observations: 'x', plans: [1] })
    );
    expect((await MeasurementLog.open(dir)).measurements('/b')).toEqual({ store: 'local' });
  });

  test('remembers the decisions of recent plans per history, across saves, and forgets the oldest', async () => {
    const log = await MeasurementLog.open(dir);
    const run = { runId: 'r1', durationsMs: [12, 3000] };
    log.remember(
      'h1',
      {
        groups: [{ members: ['b', 'a'], decision: 'copy' } as never, { members: ['c'], decision: 'recompute' } as never]
      },
      run
    );
    await log.save();
    const again = await MeasurementLog.open(dir);
    expect(again.previous('h1')).toEqual({ decisions: { '["a","b"]': 'copy', '["c"]': 'recompute' }, runs: [run] });
    expect(again.previous('h2')).toBeUndefined();
    for (let i = 0; i < REMEMBERED_PLANS; i++) {
      again.remember(`k${i}`, { groups: [] }, { runId: 'r', durationsMs: [] });
    }
    expect(again.previous('h1')).toBeUndefined();
    expect(again.previous(`k${REMEMBERED_PLANS - 1}`)).toEqual({
      decisions: {},
      runs: [{ runId: 'r', durationsMs: [] }]
    });
  });

  test("keeps the cell times of a history's recent runs: one entry per run, the newest few", async () => {
    const log = await MeasurementLog.open(dir);
    const plan = { groups: [{ members: ['x'], decision: 'recompute' } as never] };
    for (let i = 0; i < RECENT_RUNS + 2; i++) {
      log.remember('h', plan, { runId: `run${i}`, durationsMs: [i] });
      log.remember('h', plan, { runId: `run${i}`, durationsMs: [i + 0.5] }); // the same run planned again
    }
    await log.save();
    const runs = (await MeasurementLog.open(dir)).previous('h')?.runs;
    expect(runs?.map(r => r.runId)).toEqual(Array.from({ length: RECENT_RUNS }, (_, i) => `run${i + 2}`));
    expect(runs?.map(r => r.durationsMs[0])).toEqual(Array.from({ length: RECENT_RUNS }, (_, i) => i + 2.5));
  });

  test('reads plans saved without cell times, and drops malformed run entries', async () => {
    const plans = {
      old: { decisions: { '["x"]': 'copy' } },
      bad: {
        decisions: { '["y"]': 'recompute' },
        runs: [{ runId: 'a', durationsMs: [1, -2] }, { runId: 7 }, 'x', { runId: 'b', durationsMs: [4] }]
      }
    };
    await fs.writeFile(
      path.join(dir, 'measurements.json'),
      JSON.stringify({ format: 'elastic-notebook-measurements', version: 2, observations: [], plans })
    );
    const log = await MeasurementLog.open(dir);
    expect(log.previous('old')).toEqual({ decisions: { '["x"]': 'copy' }, runs: [] });
    expect(log.previous('bad')).toEqual({
      decisions: { '["y"]': 'recompute' },
      runs: [{ runId: 'b', durationsMs: [4] }]
    });
  });
});
