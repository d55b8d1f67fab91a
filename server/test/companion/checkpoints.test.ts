/**
 * Checkpoint, restore, job and listing routes against the real app and the real orchestrator and
 * local store, with a fake kernel and agent (fakeKernels.ts) instead of Jupyter.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import { createCompanion } from '../../src/companion/createCompanion';
import { ingestToken } from '../../src/auth';
import { IExecutionRecord } from '../../src/ahg/types';
import { JobRegistry } from '../../src/jobs/jobRegistry';
import { MigrationError } from '../../src/migrate/migrationError';
import { FakeKernels, Gate } from './fakeKernels';
import { record } from './records';

const SECRET = 'test-secret';
const KERNEL = 'kernel-ckpt';
let dataDir: string;
let kernels: FakeKernels;
let jobs: JobRegistry;

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elastic-ckpt-'));
  kernels = new FakeKernels();
  jobs = new JobRegistry();
});
afterEach(async () => {
  await jobs.settled();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

type App = ReturnType<typeof createCompanion>['app'];

const open = (extra: Record<string, unknown> = {}): App =>
  createCompanion({
    secret: SECRET,
    dataDir,
    warn: () => undefined,
    kernels,
    jobs,
    baseDir: dataDir,
    ackTimeoutMs: 2000,
    ...extra
  }).app;

const api = (app: App) => ({
  get: (url: string) => request(app).get(url).set('X-Elastic-Notebook-Secret', SECRET),
  post: (url: string, body?: unknown) => {
    const call = request(app).post(url).set('X-Elastic-Notebook-Secret', SECRET);
    return body === undefined ? call : call.send(body as object);
  },
  delete: (url: string) => request(app).delete(url).set('X-Elastic-Notebook-Secret', SECRET)
});

/**
 * Three cells under the default cost model: `model` took a minute and is tiny (copied), `big` is
 * 100 MB made in 1 ms (recomputed), `label` reads `model` (cheap: recomputed or copied).
 */
function session(): IExecutionRecord[] {
  const cell = (seq: number, code: string, writes: string[], ms: number, size: number, reads: string[] = []) =>
    record(seq, {
      code,
      durationMs: ms,
      reads,
      writes,
      groups: [['model'], ['big'], ['label']].slice(0, seq + 1),
      variables: Object.fromEntries(writes.map(w => [w, { type: 'object', size, serializable: true }]))
    });
  return [
    cell(0, 'model = {"weights": [1, 2, 3]}\n', ['model'], 60_000, 100),
    cell(1, 'big = [0, 0, 0, 0]\n', ['big'], 1, 100e6),
    cell(2, 'label = "trained"\n', ['label'], 1, 50, ['model'])
  ];
}

/** Record the session in the companion and run it in the fake kernel. */
async function recordSession(app: App, records = session(), kernelId = KERNEL): Promise<void> {
  const kernel = kernels.kernel(kernelId);
  const response = await request(app)
    .post(`/api/kernels/${kernelId}/records`)
    .set('Authorization', `Bearer ${ingestToken(SECRET, kernelId)}`)
    .send({ runId: kernel.runId, records });
  expect(response.status).toBe(200);
  records.forEach(r => kernel.run(r.code));
  kernel.recorded += records.length;
}

/** Wait for the job to end and return its JSON. */
async function finished(app: App, jobId: string): Promise<any> {
  await jobs.settled();
  const response = await api(app).get(`/api/jobs/${jobId}`);
  expect(response.status).toBe(200);
  return response.body;
}

describe('checkpoint', () => {
  test('a checkpoint job writes a bundle under the default root, lists it and remembers throughputs', async () => {
    const app = open();
    await recordSession(app);
    const started = await api(app).post(`/api/kernels/${KERNEL}/checkpoints`, {
      notebookPath: 'work/My Analysis.ipynb',
      kernelName: 'python3',
      objective: 'balanced'
    });
    expect(started.status).toBe(202);
    const root = path.join(dataDir, 'checkpoints');
    expect(started.body.uri.startsWith(`${root}/My-Analysis-`)).toBe(true);

    const job = await finished(app, started.body.jobId);
    expect(job).toMatchObject({
      kind: 'checkpoint',
      kernelId: KERNEL,
      state: 'done',
      error: null,
      uri: started.body.uri
    });
    const messages = job.steps.map((s: any) => s.message);
    expect(messages[0]).toBe('waiting until every recorded execution is stored');
    expect(messages).toContain('planning');
    expect(job.result).toMatchObject({
      kernelId: KERNEL,
      bundle: started.body.uri,
      notebook: path.join(dataDir, 'work', 'My Analysis.ipynb'),
      executions: 3,
      plan: { objective: 'balanced', copy: ['model'] }
    });
    expect(job.result.plan.rerun).toEqual(expect.arrayContaining([1]));
    const manifest = JSON.parse(fs.readFileSync(path.join(started.body.uri, 'manifest.json'), 'utf8'));
    expect(manifest.checkpointId).toBe(job.result.checkpointId);
    expect(manifest.notebook).toEqual({ path: path.join(dataDir, 'work', 'My Analysis.ipynb'), kernelName: 'python3' });
    expect(kernels.kernel(KERNEL).calls).toEqual(['status', 'checkpoint']);

    const listed = await api(app).get('/api/checkpoints');
    expect(listed.status).toBe(200);
    expect(listed.body.root).toBe(root);
    expect(listed.body.checkpoints).toHaveLength(1);
    expect(listed.body.checkpoints[0]).toMatchObject({
      uri: started.body.uri,
      error: null,
      checkpointId: job.result.checkpointId,
      copiedVariables: 1,
      objective: 'balanced'
    });
    expect(listed.body.checkpoints[0].bytes).toBeGreaterThan(0);

    const described = await api(app).get(`/api/checkpoints/describe?uri=${encodeURIComponent(started.body.uri)}`);
    expect(described.status).toBe(200);
    expect(described.body).toMatchObject({ copied: ['model'], complete: true, missingFiles: [] });

    expect(fs.existsSync(path.join(dataDir, 'measurements.json'))).toBe(true);
  });

  test('the checkpoint waits until the records the agent made are all stored', async () => {
    const app = open();
    const records = session();
    await recordSession(app, records.slice(0, 2));
    const kernel = kernels.kernel(KERNEL);
    // The agent has recorded the third execution, but its record is still on the way.
    kernel.run(records[2].code);
    kernel.recorded = 3;
    let looks = 0;
    kernel.onStatus = async () => {
      looks += 1;
      if (looks === 2) {
        const response = await request(app)
          .post(`/api/kernels/${KERNEL}/records`)
          .set('Authorization', `Bearer ${ingestToken(SECRET, KERNEL)}`)
          .send({ runId: kernel.runId, records: [records[2]] });
        expect(response.status).toBe(200);
      }
    };
    const started = await api(app).post(`/api/kernels/${KERNEL}/checkpoints`, {});
    const job = await finished(app, started.body.jobId);
    expect(job.state).toBe('done');
    expect(job.result.executions).toBe(3);
    expect(job.steps.map((s: any) => s.message)).toContain('waiting for the last records (2 of 3 stored)');
  });

  test('records that never arrive fail the job with the counts, and leave no bundle folder', async () => {
    const app = open({ ackTimeoutMs: 300 });
    await recordSession(app);
    kernels.kernel(KERNEL).recorded = 5;
    const started = await api(app).post(`/api/kernels/${KERNEL}/checkpoints`, {});
    const job = await finished(app, started.body.jobId);
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/^the companion has stored 3 of the 5 executions the kernel recorded after \d+ s$/);
    expect(fs.existsSync(started.body.uri)).toBe(false);
  });

  test('a kernel where nothing was recorded yet cannot be checkpointed', async () => {
    const app = open();
    kernels.kernel(KERNEL);
    const started = await api(app).post(`/api/kernels/${KERNEL}/checkpoints`, {});
    expect(started.status).toBe(202);
    const job = await finished(app, started.body.jobId);
    expect(job.state).toBe('failed');
    expect(job.error).toBe('nothing has been recorded in this kernel yet: run some cells first');
  });

  test('a checkpoint asked for before the first record reached the companion waits for it', async () => {
    const app = open();
    const kernel = kernels.kernel(KERNEL);
    const records = session();
    records.forEach(r => kernel.run(r.code));
    kernel.recorded = records.length;
    kernel.onStatus = async () => {
      kernel.onStatus = null;
      const response = await request(app)
        .post(`/api/kernels/${KERNEL}/records`)
        .set('Authorization', `Bearer ${ingestToken(SECRET, KERNEL)}`)
        .send({ runId: kernel.runId, records });
      expect(response.status).toBe(200);
    };
    const started = await api(app).post(`/api/kernels/${KERNEL}/checkpoints`, {});
    expect(started.status).toBe(202);
    expect((await finished(app, started.body.jobId)).state).toBe('done');
  });

  test('a kernel whose agent is not loaded cannot be checkpointed', async () => {
    const app = open();
    await recordSession(app);
    kernels.kernel(KERNEL).agentLoaded = false;
    const started = await api(app).post(`/api/kernels/${KERNEL}/checkpoints`, {});
    const job = await finished(app, started.body.jobId);
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/agent is not recording in this kernel/);
  });

  test('a group that cannot be serialized is recomputed instead', async () => {
    const app = open();
    await recordSession(app);
    kernels.kernel(KERNEL).unserializable.add('model');
    const started = await api(app).post(`/api/kernels/${KERNEL}/checkpoints`, { objective: 'fast-restore' });
    const job = await finished(app, started.body.jobId);
    expect(job.state).toBe('done');
    expect(job.result.replanned).toEqual([{ members: ['model'], reason: "cannot serialize 'model' (generator)" }]);
    expect(job.result.plan.copy).not.toContain('model');
  });

  test('an explicit uri and marks are used', async () => {
    const app = open();
    await recordSession(app);
    const uri = path.join(dataDir, 'elsewhere', 'bundle');
    const started = await api(app).post(`/api/kernels/${KERNEL}/checkpoints`, {
      uri,
      marks: { neverCopy: ['model'] }
    });
    expect(started.body.uri).toBe(uri);
    const job = await finished(app, started.body.jobId);
    expect(job.state).toBe('done');
    expect(job.result.plan.copy).toEqual([]);
    expect(fs.existsSync(path.join(uri, 'manifest.json'))).toBe(true);
  });

  test('a relative root is resolved against the Jupyter root', async () => {
    const app = open();
    await recordSession(app);
    const started = await api(app).post(`/api/kernels/${KERNEL}/checkpoints`, {
      root: 'mine',
      notebookPath: 'a.ipynb'
    });
    expect(started.body.uri.startsWith(path.join(dataDir, 'mine', 'a-'))).toBe(true);
    expect((await finished(app, started.body.jobId)).state).toBe('done');
    const listed = await api(app).get('/api/checkpoints?root=mine');
    expect(listed.body.root).toBe(path.join(dataDir, 'mine'));
    expect(listed.body.checkpoints.map((c: any) => c.uri)).toEqual([started.body.uri]);
  });

  test('cancelling stops the job at its next safe point and leaves nothing behind', async () => {
    const app = open();
    await recordSession(app);
    const gate = new Gate();
    kernels.kernel(KERNEL).gates.set('checkpoint', gate);
    const started = await api(app).post(`/api/kernels/${KERNEL}/checkpoints`, {});
    await gate.reached;
    const running = await api(app).get(`/api/jobs/${started.body.jobId}`);
    expect(running.body).toMatchObject({ state: 'running', cancelRequested: false });
    expect(running.body.steps.at(-1).message).toMatch(/^serializing 1 group\(s\)/);

    const cancelled = await api(app).post(`/api/jobs/${started.body.jobId}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ state: 'running', cancelRequested: true });
    gate.release();
    const job = await finished(app, started.body.jobId);
    expect(job.state).toBe('cancelled');
    expect(job.error).toMatch(/cancelled/);
    expect(fs.existsSync(started.body.uri)).toBe(false);
    expect((await api(app).post(`/api/jobs/${started.body.jobId}/cancel`)).status).toBe(409);
  });

  test('a checkpoint waits behind a busy kernel, and can be cancelled while it waits', async () => {
    const app = open();
    await recordSession(app);
    const busy = new Gate();
    kernels.kernel(KERNEL).onStatus = () => busy.pass();
    const started = await api(app).post(`/api/kernels/${KERNEL}/checkpoints`, {});
    await busy.reached;
    expect((await api(app).post(`/api/jobs/${started.body.jobId}/cancel`)).status).toBe(200);
    const job = await finished(app, started.body.jobId);
    expect(job.state).toBe('cancelled');
    expect(job.error).toBe('cancelled while waiting for the kernel');
    expect(kernels.kernel(KERNEL).calls).toEqual(['status']);
    busy.release();
  });

  test('one job per kernel at a time: a second one is refused with the running job id', async () => {
    const app = open();
    await recordSession(app);
    const gate = new Gate();
    kernels.kernel(KERNEL).gates.set('checkpoint', gate);
    const first = await api(app).post(`/api/kernels/${KERNEL}/checkpoints`, {});
    await gate.reached;
    const second = await api(app).post(`/api/kernels/${KERNEL}/checkpoints`, {});
    expect(second.status).toBe(409);
    expect(second.body).toEqual({
      error: expect.stringMatching(/a checkpoint is already running for kernel/),
      jobId: first.body.jobId
    });
    const restore = await api(app).post(`/api/kernels/${KERNEL}/restore`, {
      uri: path.join(dataDir, 'checkpoints', 'x')
    });
    expect(restore.status).toBe(409);
    // The bundle being written cannot be deleted meanwhile.
    const deleted = await api(app).delete(`/api/checkpoints?uri=${encodeURIComponent(first.body.uri)}`);
    expect(deleted.status).toBe(409);
    gate.release();
    expect((await finished(app, first.body.jobId)).state).toBe('done');
  });

  test('requests are validated and answered precisely', async () => {
    const app = open();
    const post = (body: unknown, kernel = KERNEL) => api(app).post(`/api/kernels/${kernel}/checkpoints`, body);
    await recordSession(app);
    const bad = async (body: unknown, message: RegExp) => {
      const response = await post(body);
      expect(response.status).toBe(400);
      expect(response.body.error).toMatch(message);
    };
    await bad({ objective: 'fastest' }, /^objective: must be "fast-migrate", "fast-restore" or "balanced"/);
    await bad({ marks: { neverCopy: [''] } }, /^marks\.neverCopy\.0: variable names cannot be empty/);
    await bad({ destination: 'x' }, /destination/);
    await bad({ uri: '' }, /^uri: must not be empty/);
    await bad({ uri: 'ftp://host/x' }, /unsupported scheme 'ftp:'/);
    await bad({ s3: { endpoint: 'minio:9000' } }, /^s3\.endpoint: must be an http:\/\/ or https:\/\/ URL/);
    expect((await post({}, '..bad')).status).toBe(400);
    const unauthenticated = await request(app).post(`/api/kernels/${KERNEL}/checkpoints`).send({});
    expect(unauthenticated.status).toBe(401);
  });

  test('without kernel access the kernel routes answer 503 with the reason', async () => {
    const app = createCompanion({
      secret: SECRET,
      dataDir,
      warn: () => undefined,
      kernels: null,
      kernelsUnavailable: 'no Jupyter URL'
    }).app;
    const response = await api(app).post(`/api/kernels/${KERNEL}/restore`, {
      uri: path.join(dataDir, 'checkpoints', 'b')
    });
    expect(response.status).toBe(503);
    expect(response.body).toEqual({ error: 'no Jupyter URL' });
  });
});

describe('restore', () => {
  /** Checkpoint the session and return the bundle URI. */
  async function checkpointed(app: App): Promise<string> {
    await recordSession(app);
    const started = await api(app).post(`/api/kernels/${KERNEL}/checkpoints`, { notebookPath: 'nb.ipynb' });
    expect((await finished(app, started.body.jobId)).state).toBe('done');
    return started.body.uri;
  }

  test('a restore restarts the kernel, re-runs and loads what the plan says, verifies and continues the history', async () => {
    const app = open();
    const uri = await checkpointed(app);
    const kernel = kernels.kernel(KERNEL);
    kernel.namespace.set('model', 'changed since');
    kernel.namespace.set('extra', 1);
    const started = await api(app).post(`/api/kernels/${KERNEL}/restore`, { uri });
    expect(started.status).toBe(202);
    const job = await finished(app, started.body.jobId);
    expect(job.state).toBe('done');
    expect(kernel.restarts).toBe(1);
    expect(Object.fromEntries(kernel.namespace)).toEqual({
      model: { weights: [1, 2, 3] },
      big: [0, 0, 0, 0],
      label: 'trained'
    });
    expect(job.result).toMatchObject({
      kernelId: KERNEL,
      bundle: uri,
      notebook: path.join(dataDir, 'nb.ipynb'),
      loaded: ['model'],
      fallback: [],
      verification: { ok: true, differ: [], missing: [] }
    });
    expect(job.result.rerun).toEqual(expect.arrayContaining([1]));
    expect(kernel.adopted).toBe(3);
    const messages = job.steps.map((s: any) => s.message);
    expect(messages.indexOf('restarting the kernel')).toBeLessThan(
      messages.indexOf('loading the agent into the restarted kernel')
    );
    expect(messages).toContain('verifying the restored variables');
  });

  test('a damaged payload falls back to recomputing, after restarting the kernel again', async () => {
    const app = open();
    const uri = await checkpointed(app);
    const manifest = JSON.parse(fs.readFileSync(path.join(uri, 'manifest.json'), 'utf8'));
    const payload = path.join(uri, manifest.groups.find((g: any) => g.decision === 'copy').file);
    fs.writeFileSync(payload, fs.readFileSync(payload, 'utf8').replace('1', '7'));
    const started = await api(app).post(`/api/kernels/${KERNEL}/restore`, { uri });
    const job = await finished(app, started.body.jobId);
    expect(job.state).toBe('done');
    expect(job.result.fallback).toEqual([{ members: ['model'], reason: 'checksum mismatch' }]);
    expect(kernels.kernel(KERNEL).restarts).toBe(2);
    expect(kernels.kernel(KERNEL).namespace.get('model')).toEqual({ weights: [1, 2, 3] });
  });

  test('a missing bundle fails the job without touching the kernel', async () => {
    const app = open();
    kernels.kernel(KERNEL);
    const started = await api(app).post(`/api/kernels/${KERNEL}/restore`, {
      uri: path.join(dataDir, 'checkpoints', 'none')
    });
    const job = await finished(app, started.body.jobId);
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/none/);
    expect(kernels.kernel(KERNEL).restarts).toBe(0);
  });

  test('a failure after the restart says the kernel holds part of the session', async () => {
    const app = open();
    const uri = await checkpointed(app);
    kernels.bootstrap = async () => {
      throw new MigrationError('loading the agent into the kernel failed: ImportError: no module');
    };
    const started = await api(app).post(`/api/kernels/${KERNEL}/restore`, { uri });
    const job = await finished(app, started.body.jobId);
    expect(job.state).toBe('failed');
    expect(job.error).toBe(
      'loading the agent into the kernel failed: ImportError: no module (the kernel was restarted and holds only part of the session)'
    );
    expect(kernels.kernel(KERNEL).restarts).toBe(1);
  });

  test('bundles outside the checkpoint root and s3:// URIs need an explicit trust', async () => {
    const app = open();
    const uri = await checkpointed(app);
    const outside = path.join(dataDir, 'outside');
    fs.cpSync(uri, outside, { recursive: true });
    for (const target of [outside, 's3://bucket/bundle']) {
      const refused = await api(app).post(`/api/kernels/${KERNEL}/restore`, { uri: target });
      expect(refused.status).toBe(400);
      expect(refused.body.trustRequired).toBe(true);
      expect(refused.body.error).toMatch(/bundles contain pickles/);
    }
    expect(kernels.kernel(KERNEL).restarts).toBe(0);
    const trusted = await api(app).post(`/api/kernels/${KERNEL}/restore`, { uri: outside, trust: true });
    expect(trusted.status).toBe(202);
    expect((await finished(app, trusted.body.jobId)).state).toBe('done');
    const bad = await api(app).post(`/api/kernels/${KERNEL}/restore`, { uri, trust: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^trust: /);
  });
});

describe('listing, describing, deleting and jobs', () => {
  test('an empty or missing default root lists nothing; another missing root is a 404', async () => {
    const app = open();
    expect((await api(app).get('/api/checkpoints')).body).toEqual({
      root: path.join(dataDir, 'checkpoints'),
      checkpoints: []
    });
    const missing = await api(app).get(`/api/checkpoints?root=${encodeURIComponent(path.join(dataDir, 'nope'))}`);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatch(/nope/);
  });

  test('unreadable bundles are listed with their error; describe and delete answer 404 for a missing one', async () => {
    const app = open();
    const broken = path.join(dataDir, 'checkpoints', 'broken');
    fs.mkdirSync(broken, { recursive: true });
    fs.writeFileSync(path.join(broken, 'manifest.json'), '{not json');
    fs.mkdirSync(path.join(dataDir, 'checkpoints', 'not-a-bundle'));
    const listed = await api(app).get('/api/checkpoints');
    expect(listed.body.checkpoints).toEqual([
      expect.objectContaining({ uri: broken, code: 'corrupt', error: expect.stringContaining(broken) })
    ]);
    const described = await api(app).get(`/api/checkpoints/describe?uri=${encodeURIComponent(broken)}`);
    expect(described.status).toBe(422);
    const none = encodeURIComponent(path.join(dataDir, 'checkpoints', 'none'));
    expect((await api(app).get(`/api/checkpoints/describe?uri=${none}`)).status).toBe(404);
    expect((await api(app).delete(`/api/checkpoints?uri=${none}`)).status).toBe(404);
    expect((await api(app).get('/api/checkpoints/describe')).body.error).toMatch(/^uri: /);
  });

  test('deleting a checkpoint removes it from the list', async () => {
    const app = open();
    await recordSession(app);
    const started = await api(app).post(`/api/kernels/${KERNEL}/checkpoints`, {});
    await finished(app, started.body.jobId);
    const deleted = await api(app).delete(`/api/checkpoints?uri=${encodeURIComponent(started.body.uri)}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ deleted: started.body.uri });
    expect(fs.existsSync(path.join(started.body.uri, 'manifest.json'))).toBe(false);
    expect((await api(app).get('/api/checkpoints')).body.checkpoints).toEqual([]);
  });

  test('jobs are listed per kernel, newest first; unknown jobs are 404', async () => {
    const app = open();
    await recordSession(app);
    await recordSession(app, session(), 'other-kernel');
    const a = await api(app).post(`/api/kernels/${KERNEL}/checkpoints`, {});
    await jobs.settled();
    const b = await api(app).post('/api/kernels/other-kernel/checkpoints', {});
    await jobs.settled();
    const all = await api(app).get('/api/jobs');
    expect(all.body.jobs.map((j: any) => j.id)).toEqual([b.body.jobId, a.body.jobId]);
    const mine = await api(app).get(`/api/jobs?kernelId=${KERNEL}`);
    expect(mine.body.jobs.map((j: any) => j.id)).toEqual([a.body.jobId]);
    expect((await api(app).get('/api/jobs/0123456789abcdef')).status).toBe(404);
    expect((await api(app).get('/api/jobs?kernelId=..x')).status).toBe(400);
  });
});
