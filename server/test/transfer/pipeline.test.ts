/**
 * The pipelined migration: the target prepares the restore's session when the transfer is opened
 * (and ends it on cancel, on expiry, or when the restore does not take it), an open transfer gets
 * its files as they come, and a migration between two real companions (fake kernels) sends a
 * payload file to the target while the source's checkpoint call is still running, before the
 * manifest exists, into a kernel the target started before the checkpoint ended.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import { ingestToken } from '../../src/auth';
import { createCompanion } from '../../src/companion/createCompanion';
import { JobRegistry } from '../../src/jobs/jobRegistry';
import { overlapMs } from '../../src/jobs/migratePipeline';
import { FakeKernels, Gate } from '../companion/fakeKernels';
import { record } from '../companion/records';
import { fakeJupyter, IFakeJupyter } from './fakeJupyter';

const SECRET = 'secret';
const KERNEL = 'kernel-src';
const NOTEBOOK = 'work/analysis.ipynb';
const SHA = 'a'.repeat(64);

let tmp: string;
let jobs: JobRegistry[];
let closers: Array<() => Promise<void>>;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'elastic-pipeline-'));
  jobs = [];
  closers = [];
});

afterEach(async () => {
  await Promise.all(jobs.map(j => j.settled()));
  await Promise.all(closers.map(close => close()));
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A companion with fake kernels in `<tmp>/<name>-data`, its Jupyter root `<tmp>/<name>`. */
function companion(name: string, extra: Parameters<typeof createCompanion>[0] | object = {}) {
  const kernels = new FakeKernels();
  const registry = new JobRegistry();
  jobs.push(registry);
  for (const folder of [name, `${name}-data`]) {
    fs.mkdirSync(path.join(tmp, folder), { recursive: true });
  }
  const { app } = createCompanion({
    secret: SECRET,
    warn: () => undefined,
    ackTimeoutMs: 2000,
    dataDir: path.join(tmp, `${name}-data`),
    baseDir: path.join(tmp, name),
    kernels,
    jobs: registry,
    ...extra
  });
  return { app, kernels, jobs: registry, data: path.join(tmp, `${name}-data`) };
}

const api = (app: ReturnType<typeof createCompanion>['app']) => ({
  get: (url: string) => request(app).get(url).set('X-Elastic-Notebook-Secret', SECRET),
  post: (url: string, body: object) => request(app).post(url).set('X-Elastic-Notebook-Secret', SECRET).send(body),
  delete: (url: string) => request(app).delete(url).set('X-Elastic-Notebook-Secret', SECRET)
});

/** Wait until `check` holds (a bounded poll: the test fails with `what` if it never does). */
async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) {
      return;
    }
    await new Promise(resolve => setTimeout(resolve, 10));
  }
  throw new Error(`never happened: ${what}`);
}

const prepare = { notebookPath: NOTEBOOK, kernelName: 'python3', modules: ['numpy'], codes: ['import numpy\n'] };

describe('the target side', () => {
  test('a prepared transfer opens the session at once, and a cancel ends it', async () => {
    const target = companion('target');
    const created = await api(target.app).post('/api/incoming', { files: [], open: true, prepare });
    expect(created.status).toBe(201);
    const id = created.body.transferId;
    await until(
      'the session is prepared',
      async () => (await api(target.app).get(`/api/incoming/${id}`)).body.prepare?.state === 'ready'
    );
    expect(target.kernels.sessions.get('session-1')).toEqual({ notebookPath: NOTEBOOK, kernelId: 'kernel-new-1' });
    const kernel = target.kernels.kernel('kernel-new-1');
    expect(kernel.agentLoaded).toBe(true);
    await until('the modules are imported', () => kernel.calls.includes('imports'));
    expect((await api(target.app).get(`/api/incoming/${id}`)).body).toEqual({
      transferId: id,
      files: [],
      complete: true,
      open: true,
      prepare: { state: 'ready', error: null }
    });

    expect((await api(target.app).delete(`/api/incoming/${id}`)).body).toEqual({ deleted: id });
    expect([...target.kernels.sessions.keys()]).toEqual([]);
    expect(fs.readdirSync(path.join(target.data, 'incoming'))).toEqual([]);
  });

  test('a prepared session no restore takes is ended, with its transfer, after the timeout', async () => {
    const target = companion('target', { preparedTimeoutMs: 100 });
    const id = (await api(target.app).post('/api/incoming', { files: [], open: true, prepare })).body.transferId;
    await until('the session is opened', () => target.kernels.sessions.size === 1);
    await until('the session is ended', () => target.kernels.sessions.size === 0);
    await until(
      'the transfer is removed',
      async () => (await api(target.app).get(`/api/incoming/${id}`)).status === 404
    );
    expect(fs.readdirSync(path.join(target.data, 'incoming'))).toEqual([]);
  });

  test('an open transfer gets its files one by one; a closed one refuses more', async () => {
    const target = companion('target');
    const id = (await api(target.app).post('/api/incoming', { files: [], open: true })).body.transferId;
    const file = { path: 'payloads/c1/g0.pkl', bytes: 3, sha256: SHA };
    expect((await api(target.app).post(`/api/incoming/${id}/files`, { files: [file] })).body).toEqual({
      added: ['payloads/c1/g0.pkl']
    });
    // Announced again alike (a sender retrying): accepted, nothing added.
    expect((await api(target.app).post(`/api/incoming/${id}/files`, { files: [file] })).body).toEqual({ added: [] });
    const other = await api(target.app).post(`/api/incoming/${id}/files`, { files: [{ ...file, bytes: 4 }] });
    expect(other.status).toBe(409);
    expect(other.body.error).toBe(`payloads/c1/g0.pkl of transfer ${id} was announced with another size or checksum`);
    const status = (await api(target.app).get(`/api/incoming/${id}`)).body;
    expect(status).toMatchObject({ open: true, complete: false, files: [{ ...file, received: 0 }] });
    expect(status.prepare).toBeUndefined();

    const closed = (await api(target.app).post('/api/incoming', { files: [file] })).body.transferId;
    const refused = await api(target.app).post(`/api/incoming/${closed}/files`, { files: [{ ...file, path: 'x' }] });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe(`transfer ${closed} is not open: all of its files were announced at once`);
    expect((await api(target.app).get(`/api/incoming/${closed}`)).body.open).toBeUndefined();
  });

  test('requests are validated before anything is created', async () => {
    const target = companion('target');
    const cases: Array<[object, string]> = [
      [{ files: [] }, 'files: a transfer holds at least one file'],
      [
        { files: [], open: true, prepare: { ...prepare, notebookPath: '../x.ipynb' } },
        'notebookPath: must be a path relative to the Jupyter root, got "../x.ipynb"'
      ],
      [{ files: [], open: true, prepare: { ...prepare, modules: [''] } }, 'prepare.modules.0: ']
    ];
    for (const [body, error] of cases) {
      const response = await api(target.app).post('/api/incoming', body);
      expect(response.status).toBe(400);
      expect(response.body.error).toContain(error);
    }
    const empty = await api(target.app).post('/api/incoming/0123456789abcdef01234567/files', { files: [] });
    expect(empty.status).toBe(400);
    expect(
      fs.existsSync(path.join(target.data, 'incoming')) ? fs.readdirSync(path.join(target.data, 'incoming')) : []
    ).toEqual([]);
    expect(target.kernels.sessions.size).toBe(0);
  });
});

describe('a migration between two companions', () => {
  let target: ReturnType<typeof companion>;
  let source: ReturnType<typeof companion>;
  let jupyter: IFakeJupyter;

  beforeEach(async () => {
    target = companion('target');
    source = companion('source', { chunkBytes: 64 });
    jupyter = await fakeJupyter(target.app, { secret: SECRET, token: 'target-token', root: path.join(tmp, 'target') });
    closers.push(() => jupyter.close());
    fs.mkdirSync(path.join(tmp, 'source', 'work'));
    fs.writeFileSync(path.join(tmp, 'source', NOTEBOOK), '{"cells": []}');
    // Two cells, each a slow computation of one value: both are copied, one payload file each.
    const cells: Array<[string, unknown]> = [
      ['weights', [1, 2, 3]],
      ['bias', 0.5]
    ];
    const records = cells.map(([name, value], seq) =>
      record(seq, {
        code: `${name} = ${JSON.stringify(value)}\n`,
        durationMs: 60_000,
        writes: [name],
        groups: cells.slice(0, seq + 1).map(([n]) => [n]),
        variables: { [name]: { type: typeof value, size: 100, serializable: true } }
      })
    );
    const kernel = source.kernels.kernel(KERNEL);
    const ingested = await request(source.app)
      .post(`/api/kernels/${KERNEL}/records`)
      .set('Authorization', `Bearer ${ingestToken(SECRET, KERNEL)}`)
      .send({ runId: kernel.runId, records });
    expect(ingested.status).toBe(200);
    records.forEach(r => kernel.run(r.code));
    kernel.recorded = records.length;
  });

  const migrate = () =>
    api(source.app).post(`/api/kernels/${KERNEL}/migrate`, {
      targetUrl: jupyter.url,
      targetToken: 'target-token',
      notebookPath: NOTEBOOK,
      kernelName: 'python3'
    });

  test('a payload reaches the target while the checkpoint runs, into a kernel prepared meanwhile', async () => {
    // The source agent's checkpoint call has written its group file, and does not answer yet.
    const gate = new Gate();
    source.kernels.kernel(KERNEL).gatesAfter.set('checkpoint', gate);
    const started = await migrate();
    expect(started.status).toBe(202);
    await gate.reached;

    const incoming = path.join(target.data, 'incoming');
    const payloadOnTarget = () => {
      const ids = fs.existsSync(incoming) ? fs.readdirSync(incoming).filter(n => !n.endsWith('.json')) : [];
      const folder = ids.length === 1 ? path.join(incoming, ids[0], 'payloads') : null;
      if (!folder || !fs.existsSync(folder)) {
        return null;
      }
      const [checkpointId] = fs.readdirSync(folder);
      const file = checkpointId ? path.join(folder, checkpointId, 'g0.pkl') : '';
      return fs.existsSync(file) ? { file, transfer: ids[0] } : null;
    };
    await until('the payload is on the target', () => payloadOnTarget() !== null);
    const { file, transfer } = payloadOnTarget()!;
    const staged = path.join(source.data, 'outgoing', fs.readdirSync(path.join(source.data, 'outgoing'))[0]);
    await until('all of its bytes arrived', async () => {
      const status = (await api(target.app).get(`/api/incoming/${transfer}`)).body;
      return status.files.length >= 1 && status.complete === true;
    });
    expect(fs.readFileSync(file)).toEqual(
      fs.readFileSync(path.join(staged, 'payloads', path.basename(path.dirname(file)), 'g0.pkl'))
    );
    // The checkpoint call has not answered: no manifest on either side, and the target's kernel is up.
    expect(fs.existsSync(path.join(staged, 'manifest.json'))).toBe(false);
    expect(fs.existsSync(path.join(incoming, transfer, 'manifest.json'))).toBe(false);
    expect(target.kernels.sessions.get('session-1')).toEqual({ notebookPath: NOTEBOOK, kernelId: 'kernel-new-1' });
    expect(target.kernels.kernel('kernel-new-1').agentLoaded).toBe(true);
    await new Promise(resolve => setTimeout(resolve, 20));
    gate.release();

    await source.jobs.settled();
    await target.jobs.settled();
    const job = (await api(source.app).get(`/api/jobs/${started.body.jobId}`)).body;
    expect(job.state).toBe('done');
    const { pipeline } = job.result;
    expect(pipeline.preparedKernel).toBe(true);
    expect(job.result).toMatchObject({ kernelId: 'kernel-new-1', sessionId: 'session-1' });
    expect(target.kernels.kernel('kernel-new-1').restarts).toBe(0);
    const paths = pipeline.files.map((f: any) => f.path);
    expect(paths.slice(0, 2).sort()).toEqual([
      expect.stringMatching(/\/g\d\.pkl$/),
      expect.stringMatching(/\/g\d\.pkl$/)
    ]);
    // Then what the target's restore starts with: the manifest, history and random states.
    expect(paths.slice(2)).toEqual([
      'manifest.json',
      expect.stringMatching(/\/history\.jsonl$/),
      expect.stringMatching(/\/random\.pkl$/)
    ]);
    expect(pipeline.files[0].receivedAt).toBeLessThan(pipeline.manifestWrittenAt);
    expect(pipeline.phases.prepare.startAt).toBeLessThan(pipeline.phases.checkpoint.startAt);
    expect(pipeline.phases.send.startAt).toBeLessThan(pipeline.phases.checkpoint.endAt);
    expect(pipeline.overlapMs).toBeGreaterThan(0);
    const messages: string[] = job.steps.map((s: any) => s.message);
    expect(messages).toContain(
      `${jupyter.url.replace(/\/$/, '')}: the kernel was started and its modules imported while the source checkpointed`
    );
    expect(fs.readdirSync(incoming)).toEqual([]);
  });

  test('the target restores while a payload still arrives, and loads it once it is whole', async () => {
    // Every payload goes after the manifest (no progress lines), and one is held on its way.
    source.kernels.kernel(KERNEL).progressLines = false;
    const held = new Gate();
    jupyter.onCompanion = async req => {
      if (req.method === 'PUT' && decodeURIComponent(req.url).includes('/g1.pkl')) {
        jupyter.onCompanion = null;
        await held.pass();
      }
    };
    const started = await migrate();
    await held.reached;
    const restoreSteps = () =>
      target.jobs
        .list()[0]
        ?.toJSON()
        .steps.map(s => s.message) ?? [];
    await until('the restore waits for the payload', () =>
      restoreSteps().some(m => /^waiting for payloads\/[^/]+\/g1\.pkl to arrive$/.test(m))
    );
    expect(target.jobs.list()[0].state).toBe('running');
    held.release();

    await source.jobs.settled();
    await target.jobs.settled();
    const job = (await api(source.app).get(`/api/jobs/${started.body.jobId}`)).body;
    expect(job.state).toBe('done');
    expect(Object.fromEntries(target.kernels.kernel('kernel-new-1').namespace)).toEqual({
      weights: [1, 2, 3],
      bias: 0.5
    });
    const { pipeline } = job.result;
    const late = pipeline.files.find((f: any) => f.path.endsWith('/g1.pkl'));
    expect(late.receivedAt).toBeGreaterThanOrEqual(pipeline.phases.restore.startAt);
    expect(pipeline.files.map((f: any) => f.path.split('/').pop())).toEqual([
      'manifest.json',
      'history.jsonl',
      'random.pkl',
      'g0.pkl',
      'g1.pkl'
    ]);
  });

  test('a cancel during the checkpoint ends the prepared session and leaves nothing on the target', async () => {
    const gate = new Gate();
    source.kernels.kernel(KERNEL).gates.set('checkpoint', gate);
    const started = await migrate();
    await gate.reached;
    await until('the session is prepared', () => target.kernels.kernel('kernel-new-1').agentLoaded);
    await api(source.app).post(`/api/jobs/${started.body.jobId}/cancel`, {});
    gate.release();
    await source.jobs.settled();
    const job = (await api(source.app).get(`/api/jobs/${started.body.jobId}`)).body;
    expect(job.state).toBe('cancelled');
    expect([...target.kernels.sessions.keys()]).toEqual([]);
    expect(fs.readdirSync(path.join(target.data, 'incoming'))).toEqual([]);
    expect(fs.existsSync(path.join(tmp, 'target', NOTEBOOK))).toBe(false);
  });
});

test('overlap counts the time another phase ran during the span, once', () => {
  const span = { startAt: 100, endAt: 200 };
  expect(overlapMs(span, [])).toBe(0);
  expect(overlapMs(span, [null, { startAt: 0, endAt: 50 }])).toBe(0);
  expect(overlapMs(span, [{ startAt: 150, endAt: 300 }])).toBe(50);
  expect(
    overlapMs(span, [
      { startAt: 90, endAt: 130 },
      { startAt: 120, endAt: 160 },
      { startAt: 190, endAt: 195 }
    ])
  ).toBe(65);
});
