/**
 * `POST /api/kernels/:kernelId/plan` against the real app: the plan of the current run, marks and
 * objectives changing it, measurements (sent and stored), infeasible plans, bad bodies and 404s.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import { createCompanion } from '../../src/companion/createCompanion';
import { ingestToken } from '../../src/auth';
import { IExecutionRecord } from '../../src/ahg/types';
import { copyMigrateMs, copyRestoreMs, costModel, fixedMs, Measurements, rerunMs } from '../../src/planner/index';
import express from 'express';
import { HistoryStore } from '../../src/ahg/store';
import { effectiveMeasurements, planRouter } from '../../src/routes/plan';
import { record } from './records';

const SECRET = 'test-secret';
const KERNEL = 'kernel-plan';
let dataDir: string;

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elastic-plan-'));
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const open = () => createCompanion({ secret: SECRET, dataDir, warn: () => undefined }).app;
const ingest = (app: any, runId: string, records: IExecutionRecord[], kernel = KERNEL) =>
  request(app)
    .post(`/api/kernels/${kernel}/records`)
    .set('Authorization', `Bearer ${ingestToken(SECRET, kernel)}`)
    .send({ runId, records });
const planOf = (app: any, body?: unknown, kernel = KERNEL) => {
  const call = request(app).post(`/api/kernels/${kernel}/plan`).set('X-Elastic-Notebook-Secret', SECRET);
  return body === undefined ? call : call.send(body as object);
};

const MB = 1e6;

/**
 * A session whose decisions are clear-cut under the default cost model (about 22.5 ms per MB to
 * copy, re-runs at their recorded time):
 *  0 (cell-a) `model` trained for a minute, 1 kB: copied;
 *  1 (cell-b) `big` loaded in 5 ms, 100 MB: recomputed;
 *  2 (cell-c) `summary` from `big` in 1 ms, 1 kB: recomputed (it needs no earlier execution, `big` is active).
 */
function session(): IExecutionRecord[] {
  const step = (seq: number, writes: string, ms: number, size: number, reads: string[] = []) =>
    record(seq, {
      cellId: `cell-${'abc'[seq]}`,
      durationMs: ms,
      reads,
      writes: [writes],
      groups: [['model'], ['big'], ['summary']].slice(0, seq + 1),
      variables: { [writes]: { type: 'object', size, serializable: true } }
    });
  return [step(0, 'model', 60_000, 1000), step(1, 'big', 5, 100 * MB), step(2, 'summary', 1, 1000, ['big'])];
}

const decisions = (plan: any): Record<string, string> =>
  Object.fromEntries(plan.groups.map((g: any) => [g.members.join(','), g.decision]));

describe('the plan of the current run', () => {
  test('an empty body gets the balanced plan with its explanation, totals and baselines', async () => {
    const app = open();
    expect((await ingest(app, 'run1', session())).status).toBe(200);
    const response = await planOf(app);
    expect(response.status).toBe(200);
    const plan = response.body;
    expect(plan).toMatchObject({
      kernelId: KERNEL,
      runId: 'run1',
      executions: 3,
      feasible: true,
      objective: 'balanced',
      copy: ['model'],
      rerun: [1, 2]
    });
    expect(decisions(plan)).toEqual({ model: 'copy', big: 'recompute', summary: 'recompute' });
    const big = plan.groups.find((g: any) => g.members[0] === 'big');
    // Priced with the default costs (nothing measured yet): a 5 ms cell plus the fixed cost of a re-run.
    const defaults = costModel('balanced', { store: 'local' });
    expect(big).toMatchObject({
      sizeBytes: 100 * MB,
      recomputable: true,
      recomputeCostMs: rerunMs(defaults, 5),
      requiredExecutions: 1
    });
    // Write out and read back 100 MB.
    expect(big.copyCostMs).toBeCloseTo(copyMigrateMs(defaults, 100 * MB) + copyRestoreMs(defaults, 100 * MB), 2);
    expect(big.copyCostMs).toBeGreaterThan(big.recomputeCostMs * 10);
    expect(typeof big.reason).toBe('string');
    expect(plan.estimate.totalMs).toBeCloseTo(plan.estimate.migrateMs + plan.estimate.restoreMs, 6);
    expect(plan.baselines.copyAll.feasible).toBe(true);
    expect(plan.baselines.recomputeAll).toMatchObject({ feasible: true });
    // Re-running all three cells (60 006 ms recorded), each with its fixed cost, after the
    // restore's own fixed work (manifest, verification) over the session's state.
    expect(plan.baselines.recomputeAll.restoreMs).toBeCloseTo(
      fixedMs(defaults, plan.groups).restoreMs + 3 * defaults.rerunLatencyMs + 60_006,
      2
    );
    expect(plan.costModel.measured).toEqual([]);
  });

  test('the plan follows the current run only', async () => {
    const app = open();
    await ingest(app, 'old', session());
    await ingest(app, 'new', [record(0, { writes: ['x'], groups: [['x']] })]);
    const plan = (await planOf(app, {})).body;
    expect([plan.runId, plan.executions, plan.copy, plan.rerun]).toEqual(['new', 1, [], [0]]);
  });

  test('the objective changes the weights the plan is priced with', async () => {
    const app = open();
    await ingest(app, 'r', session());
    const migrate = (await planOf(app, { objective: 'fast-migrate' })).body;
    const restore = (await planOf(app, { objective: 'fast-restore' })).body;
    expect([migrate.objective, migrate.costModel.weights]).toEqual(['fast-migrate', { migrate: 1, restore: 0.1 }]);
    expect([restore.objective, restore.costModel.weights]).toEqual(['fast-restore', { migrate: 0.1, restore: 1 }]);
  });
});

describe('marks change the decisions', () => {
  test('"never re-run" on a cell forces a copy of what it made', async () => {
    const app = open();
    await ingest(app, 'r', session());
    const plan = (await planOf(app, { marks: { neverRerun: { cellIds: ['cell-b'] } } })).body;
    expect(decisions(plan)).toEqual({ model: 'copy', big: 'copy', summary: 'recompute' });
    expect(plan.rerun).toEqual([2]);
    const big = plan.groups.find((g: any) => g.members[0] === 'big');
    expect(big.reason).toBe('cannot be recomputed: execution 1 (cell 1) is marked "never re-run"');
    // By position works too, for notebooks without cell ids.
    const byIndex = (await planOf(app, { marks: { neverRerun: { cellIndices: [1] } } })).body;
    expect(decisions(byIndex)).toEqual(decisions(plan));
  });

  test('"never copy" and "always copy" on variables', async () => {
    const app = open();
    await ingest(app, 'r', session());
    const plan = (await planOf(app, { marks: { neverCopy: ['model'], alwaysCopy: ['summary'] } })).body;
    expect(decisions(plan)).toEqual({ model: 'recompute', big: 'recompute', summary: 'copy' });
    expect(plan.rerun).toEqual([0, 1]);
    expect(plan.baselines.copyAll).toEqual({
      feasible: false,
      reason: '\'model\' cannot be copied (marked "never copy")'
    });
  });

  test('contradictory marks make an infeasible plan: 200 with the report and its suggestions', async () => {
    const app = open();
    await ingest(app, 'r', session());
    const response = await planOf(app, {
      objective: 'fast-restore',
      marks: { neverRerun: { cellIds: ['cell-a'] }, neverCopy: ['model'] }
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ feasible: false, objective: 'fast-restore', runId: 'r' });
    const report = response.body.infeasibility;
    expect(report.variables).toEqual(['model']);
    expect(report.executions).toEqual([0]);
    expect(report.message).toMatch(/^No checkpoint plan can restore this session: 'model' can be neither copied/);
    expect(report.suggestions).toEqual([
      'delete the variable before checkpointing: del model',
      'remove the "never copy" mark from \'model\'',
      'unmark cell 0 ("never re-run") if re-running it is safe'
    ]);
  });
});

describe('measurements', () => {
  test('measurements in the request reprice the plan and are reported as measured', async () => {
    const app = open();
    await ingest(app, 'r', session());
    // At 100 GB/s everywhere copying 100 MB is far cheaper than the 5 ms re-run.
    const fast = 100e9;
    const plan = (
      await planOf(app, {
        measurements: {
          serializeBytesPerSec: fast,
          deserializeBytesPerSec: fast,
          writeBytesPerSec: fast,
          readBytesPerSec: fast,
          payloadLatencyMs: 0
        }
      })
    ).body;
    expect(decisions(plan).big).toBe('copy');
    expect(plan.costModel.measured).toEqual([
      'serializeBytesPerSec',
      'deserializeBytesPerSec',
      'writeBytesPerSec',
      'readBytesPerSec',
      'payloadLatencyMs'
    ]);
  });

  test('stored measurements fill what the request leaves out; the request wins field by field', async () => {
    const stored = async (kernelId: string): Promise<Measurements | undefined> =>
      kernelId === KERNEL ? { writeBytesPerSec: 5e6, readBytesPerSec: 7e6 } : undefined;
    expect(await effectiveMeasurements(KERNEL, { writeBytesPerSec: 9e6 }, stored)).toEqual({
      writeBytesPerSec: 9e6,
      readBytesPerSec: 7e6
    });
    expect(await effectiveMeasurements('other', undefined, stored)).toEqual({});
    expect(await effectiveMeasurements(KERNEL, { targetSpeed: 2 }, undefined)).toEqual({ targetSpeed: 2 });
    // A broken store is ignored rather than failing every plan.
    const broken = () => ({ writeBytesPerSec: -1 });
    expect(await effectiveMeasurements(KERNEL, undefined, broken)).toEqual({});
  });

  test('a companion that stores measurements plans with them', async () => {
    const store = new HistoryStore(dataDir, () => undefined);
    await store.ingest(KERNEL, 'r', session());
    const app = express().use(
      planRouter(store, { storedMeasurements: () => ({ targetSpeed: 4, readBytesPerSec: 1e9 }) })
    );
    const plan = (
      await request(app)
        .post(`/api/kernels/${KERNEL}/plan`)
        .send({ measurements: { targetSpeed: 2 } })
    ).body;
    expect(plan.costModel).toMatchObject({ targetSpeed: 2, readBytesPerSec: 1e9 });
    expect([...plan.costModel.measured].sort()).toEqual(['readBytesPerSec', 'targetSpeed']);
    // Re-runs are priced at the target's speed: the minute of training takes 30 s there.
    const model = costModel('balanced', { targetSpeed: 2 });
    expect(plan.baselines.recomputeAll.restoreMs).toBeCloseTo(
      fixedMs(model, plan.groups).restoreMs + 3 * model.rerunLatencyMs + 30_003,
      2
    );
  });
});

describe('bad requests', () => {
  const cases: Array<[string, unknown, string]> = [
    ['a list', [1], 'request body: Invalid input: expected object, received array'],
    ['an unknown objective', { objective: 'cheap' }, 'objective: must be "fast-migrate", "fast-restore" or "balanced"'],
    ['an unknown field', { objectve: 'balanced' }, 'request body: Unrecognized key: "objectve"'],
    ['marks not an object', { marks: 'none' }, 'marks: Invalid input: expected object, received string'],
    [
      'a cell index that is not a position',
      { marks: { neverRerun: { cellIndices: [-1] } } },
      'marks.neverRerun.cellIndices.0: Too small: expected number to be >=0'
    ],
    ['an empty variable name', { marks: { neverCopy: [''] } }, 'marks.neverCopy.0: variable names cannot be empty'],
    [
      'a variable marked both ways',
      { marks: { alwaysCopy: ['big'], neverCopy: ['big'] } },
      'marks.alwaysCopy: variable \'big\' is marked both "always copy" and "never copy"; remove one of the marks'
    ],
    [
      'a zero throughput',
      { measurements: { writeBytesPerSec: 0 } },
      'measurements.writeBytesPerSec: Too small: expected number to be >0'
    ],
    ['an unknown measurement', { measurements: { bandwidth: 1 } }, 'measurements: Unrecognized key: "bandwidth"']
  ];
  test.each(cases)('%s gets 400 with a precise message', async (_name, body, message) => {
    const app = open();
    await ingest(app, 'r', session());
    const response = await planOf(app, body);
    expect([response.status, response.body]).toEqual([400, { error: message }]);
  });

  test('malformed JSON gets 400', async () => {
    const app = open();
    const response = await planOf(app).set('Content-Type', 'application/json').send('{"objective": ');
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(/^malformed JSON: /);
  });

  test('a kernel with nothing recorded gets 404; an unsafe kernel id 400', async () => {
    const app = open();
    await ingest(app, 'r', session(), 'someone-else');
    const missing = await planOf(app, {});
    expect([missing.status, missing.body]).toEqual([404, { error: `nothing recorded for kernel ${KERNEL}` }]);
    const unsafe = await planOf(app, {}, '.hidden');
    expect(unsafe.status).toBe(400);
    expect(unsafe.body.error).toMatch(/^kernelId: /);
  });

  test('the route needs the shared secret', async () => {
    const app = open();
    await ingest(app, 'r', session());
    const response = await request(app).post(`/api/kernels/${KERNEL}/plan`).send({});
    expect(response.status).toBe(401);
    const wrongMethod = await request(app).get(`/api/kernels/${KERNEL}/plan`).set('X-Elastic-Notebook-Secret', SECRET);
    expect(wrongMethod.status).toBe(404);
  });
});
