/**
 * Migrating to "this machine" through the companion's migrate route, with fake kernels: the
 * session is restored into a new kernel and the notebook's sessions move to it; `stopSource`
 * shuts the source down only after a verified migration. Also the shared-store helpers (which
 * store a root is in, which bundles a target takes from it).
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import { ingestToken } from '../../src/auth';
import { createCompanion } from '../../src/companion/createCompanion';
import { JobRegistry } from '../../src/jobs/jobRegistry';
import { insideStore, sharedBundleUri, storeIdentity } from '../../src/transfer/sharedStore';
import { FakeKernels } from '../companion/fakeKernels';
import { record } from '../companion/records';

const SECRET = 'secret';
const KERNEL = 'kernel-src';
const NOTEBOOK = 'work/analysis.ipynb';

let tmp: string;
let kernels: FakeKernels;
let jobs: JobRegistry;
let app: ReturnType<typeof createCompanion>['app'];

beforeEach(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'elastic-local-'));
  fs.mkdirSync(path.join(tmp, 'root', 'work'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'root', NOTEBOOK), '{"cells": []}');
  kernels = new FakeKernels();
  jobs = new JobRegistry();
  app = createCompanion({
    secret: SECRET,
    warn: () => undefined,
    ackTimeoutMs: 2000,
    dataDir: path.join(tmp, 'data'),
    baseDir: path.join(tmp, 'root'),
    kernels,
    jobs,
    jupyterUrl: 'http://127.0.0.1:8888/'
  }).app;
  const records = [
    record(0, {
      code: 'model = {"weights": [1, 2, 3]}\n',
      writes: ['model'],
      groups: [['model']],
      variables: { model: { type: 'dict', size: 100, serializable: true } }
    })
  ];
  const kernel = kernels.kernel(KERNEL);
  const sent = await request(app)
    .post(`/api/kernels/${KERNEL}/records`)
    .set('Authorization', `Bearer ${ingestToken(SECRET, KERNEL)}`)
    .send({ runId: kernel.runId, records });
  expect(sent.status).toBe(200);
  records.forEach(r => kernel.run(r.code));
  kernel.recorded = records.length;
  // The notebook is open: a Jupyter session binds it to the source kernel.
  kernels.sessions.set('session-open', { notebookPath: NOTEBOOK, kernelId: KERNEL });
});

afterEach(async () => {
  await jobs.settled();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function migrateHere(body: Record<string, unknown> = {}): Promise<any> {
  const started = await request(app)
    .post(`/api/kernels/${KERNEL}/migrate`)
    .set('X-Elastic-Notebook-Secret', SECRET)
    .send({ target: 'this machine', notebookPath: NOTEBOOK, ...body });
  expect(started.status).toBe(202);
  await jobs.settled();
  const job = await request(app).get(`/api/jobs/${started.body.jobId}`).set('X-Elastic-Notebook-Secret', SECRET);
  return job.body;
}

test('this machine: a new kernel holds the session and the notebook session moves to it', async () => {
  const job = await migrateHere();
  expect(job.state).toBe('done');
  expect(job.result).toMatchObject({
    target: 'this machine',
    kernelId: 'kernel-started-1',
    sessionId: 'session-open',
    notebookUrl: 'http://127.0.0.1:8888/lab/tree/work/analysis.ipynb',
    transport: 'local',
    sourceStopped: false,
    verification: { ok: true },
    timings: { transferMs: 0 }
  });
  expect(Object.fromEntries(kernels.kernel('kernel-started-1').namespace)).toEqual({ model: { weights: [1, 2, 3] } });
  expect(kernels.sessions.get('session-open')).toEqual({ notebookPath: NOTEBOOK, kernelId: 'kernel-started-1' });
  // The old kernel keeps running, untouched.
  expect(Object.fromEntries(kernels.kernel(KERNEL).namespace)).toEqual({ model: { weights: [1, 2, 3] } });
  expect(fs.readdirSync(path.join(tmp, 'data', 'outgoing'))).toEqual([]);
  expect(job.steps.map((s: any) => s.message)).toContain(`switching ${NOTEBOOK} to the new kernel`);
});

test('stopSource shuts the source kernel down after the verified migration', async () => {
  const job = await migrateHere({ stopSource: true });
  expect(job.state).toBe('done');
  expect(job.result.sourceStopped).toBe(true);
  await expect(kernels.shutdown(KERNEL)).rejects.toThrow(/not running any more/);
  expect(kernels.sessions.get('session-open')?.kernelId).toBe('kernel-started-1');
});

test('without a session on the source kernel nothing moves, the new kernel is shut down, the source kept', async () => {
  kernels.sessions.delete('session-open');
  const job = await migrateHere({ stopSource: true });
  expect(job.state).toBe('failed');
  expect(job.error).toBe(
    `migration to this machine failed: no Jupyter session uses kernel ${KERNEL}: open the notebook first (this session is untouched)`
  );
  await expect(kernels.shutdown('kernel-started-1')).rejects.toThrow(/not running any more/);
  expect(Object.fromEntries(kernels.kernel(KERNEL).namespace)).toEqual({ model: { weights: [1, 2, 3] } });
});

test('the store of a checkpoint root, and the bundles a target takes from its own store', () => {
  const env = { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000/' };
  expect(storeIdentity('s3://shared/alice', env)).toBe('s3://127.0.0.1:9000/shared');
  expect(storeIdentity('s3://shared', {})).toBe('s3://shared');
  expect(storeIdentity('/home/me/checkpoints', env)).toBeNull();

  const uri = sharedBundleUri('s3://shared/alice', 'work/my notebook.ipynb');
  expect(uri).toMatch(/^s3:\/\/shared\/alice\/migrations\/my-notebook-\d{8}T\d{6}Z-[0-9a-f]{8}$/);
  expect(insideStore(uri, 's3://shared/bob')).toBe(true);
  expect(insideStore(uri, 's3://other/bob')).toBe(false);
  expect(insideStore('s3://shared', 's3://shared/bob')).toBe(false);
  expect(insideStore('/tmp/bundle', 's3://shared/bob')).toBe(false);
  expect(insideStore(uri, '/home/me/checkpoints')).toBe(false);
  expect(insideStore('s3://x/../y', 's3://x/bob')).toBe(false);
});
