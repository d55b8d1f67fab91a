/**
 * The migrate job and route between two real companions, each behind a fake Jupyter server
 * (fakeJupyter.ts) with fake kernels (fakeKernels.ts): the session moves, the notebook is copied
 * and never overwritten unasked, failures and cancels leave nothing on the target and the source
 * as it was.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import { ingestToken } from '../../src/auth';
import { createCompanion } from '../../src/companion/createCompanion';
import { JobRegistry } from '../../src/jobs/jobRegistry';
import { measuredBandwidth } from '../../src/targets/bandwidthLog';
import { FakeKernels, Gate } from '../companion/fakeKernels';
import { record } from '../companion/records';
import { fakeJupyter, IFakeJupyter } from './fakeJupyter';

const SECRET = 'secret';
const KERNEL = 'kernel-src';
const NOTEBOOK = 'work/analysis.ipynb';

let tmp: string;
let sourceKernels: FakeKernels;
let targetKernels: FakeKernels;
let sourceJobs: JobRegistry;
let targetJobs: JobRegistry;
let target: IFakeJupyter;
let source: ReturnType<typeof createCompanion>['app'];

const sourceRoot = () => path.join(tmp, 'source');
const targetRoot = () => path.join(tmp, 'target');
const targetData = () => path.join(tmp, 'target-data');

beforeEach(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'elastic-migrate-'));
  for (const folder of ['source/work', 'target', 'source-data', 'target-data']) {
    fs.mkdirSync(path.join(tmp, folder), { recursive: true });
  }
  fs.writeFileSync(path.join(sourceRoot(), NOTEBOOK), '{"cells": []}');
  sourceKernels = new FakeKernels();
  targetKernels = new FakeKernels();
  sourceJobs = new JobRegistry();
  targetJobs = new JobRegistry();
  const common = { secret: SECRET, warn: () => undefined, ackTimeoutMs: 2000 };
  source = createCompanion({
    ...common,
    dataDir: path.join(tmp, 'source-data'),
    baseDir: sourceRoot(),
    kernels: sourceKernels,
    jobs: sourceJobs,
    chunkBytes: 64
  }).app;
  const targetApp = createCompanion({
    ...common,
    dataDir: targetData(),
    baseDir: targetRoot(),
    kernels: targetKernels,
    jobs: targetJobs
  }).app;
  target = await fakeJupyter(targetApp, { secret: SECRET, token: 'target-token', root: targetRoot() });
  await recordSession();
});

afterEach(async () => {
  await sourceJobs.settled();
  await targetJobs.settled();
  await target.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Record a small session in the source companion and run it in the source's fake kernel. */
async function recordSession(): Promise<void> {
  const records = [
    record(0, {
      code: 'model = {"weights": [1, 2, 3]}\n',
      durationMs: 60_000,
      writes: ['model'],
      groups: [['model']],
      variables: { model: { type: 'dict', size: 100, serializable: true } }
    }),
    record(1, {
      code: 'label = "trained"\n',
      durationMs: 1,
      reads: ['model'],
      writes: ['label'],
      groups: [['model'], ['label']],
      variables: { label: { type: 'str', size: 50, serializable: true } }
    })
  ];
  const kernel = sourceKernels.kernel(KERNEL);
  const response = await request(source)
    .post(`/api/kernels/${KERNEL}/records`)
    .set('Authorization', `Bearer ${ingestToken(SECRET, KERNEL)}`)
    .send({ runId: kernel.runId, records });
  expect(response.status).toBe(200);
  records.forEach(r => kernel.run(r.code));
  kernel.recorded = records.length;
}

const migrate = (body: Record<string, unknown> = {}) =>
  request(source)
    .post(`/api/kernels/${KERNEL}/migrate`)
    .set('X-Elastic-Notebook-Secret', SECRET)
    .send({
      targetUrl: target.url,
      targetToken: 'target-token',
      notebookPath: NOTEBOOK,
      kernelName: 'python3',
      ...body
    });

async function finished(jobId: string): Promise<any> {
  await sourceJobs.settled();
  await targetJobs.settled();
  const response = await request(source).get(`/api/jobs/${jobId}`).set('X-Elastic-Notebook-Secret', SECRET);
  expect(response.status).toBe(200);
  expect(JSON.stringify(response.body)).not.toContain('target-token');
  return response.body;
}

const leftOnTarget = () => ({
  incoming: fs.existsSync(path.join(targetData(), 'incoming'))
    ? fs.readdirSync(path.join(targetData(), 'incoming'))
    : [],
  sessions: [...targetKernels.sessions.keys()]
});

test('the session moves to the target, bound to the copied notebook, and the source keeps it', async () => {
  const started = await migrate();
  expect(started.status).toBe(202);
  expect(started.body).toEqual({ jobId: expect.any(String), uri: target.url });
  const job = await finished(started.body.jobId);
  expect(job).toMatchObject({ kind: 'migrate', kernelId: KERNEL, state: 'done', error: null });
  const base = target.url.replace(/\/$/, '');
  expect(job.result).toMatchObject({
    target: base,
    kernelId: 'kernel-new-1',
    sessionId: 'session-1',
    notebookUrl: `${target.url}lab/tree/work/analysis.ipynb`,
    notebookPath: NOTEBOOK,
    plan: { objective: 'balanced', copy: ['model'] },
    verification: { ok: true },
    transport: 'direct',
    sourceStopped: false
  });
  expect(Object.keys(job.result.timings).sort()).toEqual(['checkpointMs', 'restoreMs', 'totalMs', 'transferMs']);
  expect(job.result.bytes).toBeGreaterThan(64);
  // The transfer is measured for the target listing's bandwidth.
  expect(await measuredBandwidth(path.join(tmp, 'source-data'), base)).toBeGreaterThan(0);

  const messages: string[] = job.steps.map((s: any) => s.message);
  expect(messages[0]).toBe(`checking the target ${base}`);
  expect(messages).toContain(`sending the checkpoint to ${base} (direct transfer)`);
  expect(messages).toContain(`copying ${NOTEBOOK} to ${base}`);
  expect(messages).toContain(`${base}: loading the agent into the new kernel`);

  expect(fs.readFileSync(path.join(targetRoot(), NOTEBOOK), 'utf8')).toBe('{"cells": []}');
  expect(targetKernels.sessions.get('session-1')).toEqual({ notebookPath: NOTEBOOK, kernelId: 'kernel-new-1' });
  const restored = targetKernels.kernel('kernel-new-1');
  expect(Object.fromEntries(restored.namespace)).toEqual({ model: { weights: [1, 2, 3] }, label: 'trained' });
  expect(restored.restarts).toBe(0);
  expect(restored.adopted).toBe(2);
  expect(leftOnTarget().incoming).toEqual([]);
  expect(fs.readdirSync(path.join(tmp, 'source-data', 'outgoing'))).toEqual([]);
  // The source kernel was only checkpointed.
  expect(Object.fromEntries(sourceKernels.kernel(KERNEL).namespace)).toEqual({
    model: { weights: [1, 2, 3] },
    label: 'trained'
  });
  expect(sourceKernels.kernel(KERNEL).restarts).toBe(0);
});

test('the plan is priced for the target with the numbers given, and says so', async () => {
  const started = await migrate({ pricing: { bandwidthBytesPerS: 2e9, cpuRatio: 0.5 } });
  expect(started.status).toBe(202);
  const job = await finished(started.body.jobId);
  expect(job.state).toBe('done');
  expect(job.result.pricing).toEqual({
    bandwidthBytesPerS: 2e9,
    bandwidthSource: 'given',
    cpuRatio: 0.5,
    cpuSource: 'given'
  });
  expect(job.result.plan.costModel).toMatchObject({ transferBytesPerSec: 2e9, targetSpeed: 0.5 });
  expect(job.result.plan.costModel.measured).toEqual(expect.arrayContaining(['transferBytesPerSec', 'targetSpeed']));
  const base = target.url.replace(/\/$/, '');
  expect(job.steps.map((s: any) => s.message)).toContain(
    `priced for ${base}: sending at 2 GB/s (given), re-running at 0.5x this machine's CPU speed (given)`
  );
});

test('a different notebook on the target is kept unless overwriting is confirmed', async () => {
  fs.mkdirSync(path.join(targetRoot(), 'work'));
  fs.writeFileSync(path.join(targetRoot(), NOTEBOOK), '{"other": true}');
  const refused = await migrate();
  expect(refused.status).toBe(409);
  expect(refused.body).toEqual({
    error:
      `${NOTEBOOK} already exists on ${target.url.replace(/\/$/, '')} and differs from this notebook; nothing was ` +
      'migrated. Confirm replacing it (CLI: --overwrite) to migrate anyway',
    notebookExists: true
  });
  expect(sourceJobs.list()).toEqual([]);
  expect(sourceKernels.kernel(KERNEL).calls).toEqual([]); // not even checkpointed
  expect(fs.readFileSync(path.join(targetRoot(), NOTEBOOK), 'utf8')).toBe('{"other": true}');

  const overwritten = await finished((await migrate({ overwrite: true })).body.jobId);
  expect(overwritten.state).toBe('done');
  expect(fs.readFileSync(path.join(targetRoot(), NOTEBOOK), 'utf8')).toBe('{"cells": []}');
});

test('the job checks the notebook again: one that appeared after the request is kept too', async () => {
  const gate = new Gate();
  target.onStatus = () => gate.pass();
  const started = await migrate();
  expect(started.status).toBe(202);
  fs.mkdirSync(path.join(targetRoot(), 'work'));
  fs.writeFileSync(path.join(targetRoot(), NOTEBOOK), '{"other": true}');
  gate.release();
  const job = await finished(started.body.jobId);
  expect(job.state).toBe('failed');
  expect(job.error).toMatch(
    /already exists on .* \(CLI: --overwrite\) to migrate anyway \(this session is untouched\)$/
  );
  expect(fs.readFileSync(path.join(targetRoot(), NOTEBOOK), 'utf8')).toBe('{"other": true}');
  expect(leftOnTarget()).toEqual({ incoming: [], sessions: [] });
});

test('a restore that fails on the target leaves nothing there', async () => {
  targetKernels.kernel('kernel-new-1').failing.set('restore', 'the kernel died');
  const job = await finished((await migrate()).body.jobId);
  expect(job.state).toBe('failed');
  expect(job.error).toMatch(/^migration to .* failed: the restore on the target failed: .*the kernel died/);
  expect(job.error).toMatch(/\(this session is untouched\)$/);
  expect(leftOnTarget()).toEqual({ incoming: [], sessions: [] });
  expect(fs.existsSync(path.join(targetRoot(), NOTEBOOK))).toBe(false);
});

test('a cancel during the restore on the target stops it there and leaves nothing', async () => {
  const gate = new Gate();
  targetKernels.kernel('kernel-new-1').gates.set('restore', gate);
  const started = await migrate();
  await gate.reached;
  const cancelled = await request(source)
    .post(`/api/jobs/${started.body.jobId}/cancel`)
    .set('X-Elastic-Notebook-Secret', SECRET);
  expect(cancelled.status).toBe(200);
  // The source gives up at once; the target's job stops at its next step.
  await sourceJobs.settled();
  gate.release();
  const job = await finished(started.body.jobId);
  expect(job.state).toBe('cancelled');
  expect(job.error).toBe(`migration to ${target.url.replace(/\/$/, '')} cancelled; this session is untouched`);
  expect(targetJobs.list()[0].state).toBe('cancelled');
  expect(leftOnTarget()).toEqual({ incoming: [], sessions: [] });
  expect(fs.existsSync(path.join(targetRoot(), NOTEBOOK))).toBe(false);
});

test('a staging bundle left by a companion that crashed is removed when the next one starts', async () => {
  const left = path.join(tmp, 'source-data', 'outgoing', 'abandoned');
  fs.mkdirSync(left, { recursive: true });
  fs.writeFileSync(path.join(left, 'manifest.json'), '{}');
  createCompanion({ secret: SECRET, dataDir: path.join(tmp, 'source-data'), warn: () => undefined });
  expect(fs.existsSync(path.join(tmp, 'source-data', 'outgoing'))).toBe(false);
});

test('requests are validated before anything starts', async () => {
  const cases: Array<[Record<string, unknown>, number, string]> = [
    [{ targetUrl: undefined, targetToken: undefined }, 400, 'target: name a target, or give targetUrl and targetToken'],
    [{ targetToken: undefined }, 400, 'targetToken: targetUrl and targetToken go together'],
    [{ targetUrl: 'ftp://x' }, 400, 'targetUrl: must be an http:// or https:// URL'],
    [
      { notebookPath: '../x.ipynb' },
      400,
      'notebookPath: must be a path relative to the Jupyter root, got "../x.ipynb"'
    ],
    [
      { notebookPath: 'missing.ipynb' },
      400,
      'notebookPath: missing.ipynb is not in the Jupyter root folder (save it first)'
    ],
    [{ targetUrl: undefined, targetToken: undefined, target: 'gpu-box' }, 404, 'no target named "gpu-box"'],
    [{ pricing: { cpuRatio: 0 } }, 400, 'pricing.cpuRatio: Too small: expected number to be >0'],
    [{ pricing: { bandwidth: 1 } }, 400, 'pricing: Unrecognized key: "bandwidth"']
  ];
  for (const [body, status, error] of cases) {
    const response = await migrate(body);
    expect({ status: response.status, error: response.body.error }).toEqual({ status, error });
  }
  expect(sourceJobs.list()).toEqual([]);
});
