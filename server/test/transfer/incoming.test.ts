/**
 * The chunk protocol of a migration's transfer, on the real companion app: announcing files
 * (path validation), appending chunks (offsets, checksums, sizes), the resume point, verification,
 * cancelling; and the sender resuming from the last confirmed byte after a cut connection.
 */
import { createHash } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import { createCompanion } from '../../src/companion/createCompanion';
import { JobRegistry } from '../../src/jobs/jobRegistry';
import { announce, outgoingFiles, sendFiles } from '../../src/transfer/sendFiles';
import { TargetClient, TargetError } from '../../src/transfer/targetClient';
import { targetFromUrl } from '../../src/transfer/targets';
import { FakeKernels } from '../companion/fakeKernels';
import { fakeJupyter, IFakeJupyter } from './fakeJupyter';

const SECRET = 'test-secret';
const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

let dataDir: string;
let jobs: JobRegistry;
let servers: IFakeJupyter[];

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elastic-incoming-'));
  jobs = new JobRegistry();
  servers = [];
});
afterEach(async () => {
  await jobs.settled();
  await Promise.all(servers.map(s => s.close()));
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const open = (extra: Record<string, unknown> = {}) =>
  createCompanion({
    secret: SECRET,
    dataDir,
    warn: () => undefined,
    kernels: new FakeKernels(),
    jobs,
    baseDir: dataDir,
    ...extra
  }).app;

type App = ReturnType<typeof open>;

const api = (app: App) => ({
  get: (url: string) => request(app).get(url).set('X-Elastic-Notebook-Secret', SECRET),
  post: (url: string, body: unknown) =>
    request(app)
      .post(url)
      .set('X-Elastic-Notebook-Secret', SECRET)
      .send(body as object),
  put: (url: string, data: Buffer) =>
    request(app)
      .put(url)
      .set('X-Elastic-Notebook-Secret', SECRET)
      .set('Content-Type', 'application/octet-stream')
      .send(data),
  delete: (url: string) => request(app).delete(url).set('X-Elastic-Notebook-Secret', SECRET)
});

const incomingEntries = () =>
  fs.existsSync(path.join(dataDir, 'incoming')) ? fs.readdirSync(path.join(dataDir, 'incoming')) : [];

describe('announcing a transfer', () => {
  test.each([
    ['/etc/passwd', 'files.0.path'],
    ['../escape.pkl', 'files.0.path'],
    ['payloads/../../x', 'files.0.path'],
    ['payloads//x', 'files.0.path'],
    ['payloads\\x', 'files.0.path'],
    ['./manifest.json', 'files.0.path']
  ])('refuses the path %s before creating anything', async (bad, field) => {
    const app = open();
    const response = await api(app).post('/api/incoming', { files: [{ path: bad, bytes: 1, sha256: sha('x') }] });
    expect(response.status).toBe(400);
    expect(response.body.error).toContain(`${field}: must be a relative path`);
    expect(incomingEntries()).toEqual([]);
  });

  test('refuses duplicates, bad digests and empty lists', async () => {
    const app = open();
    const twice = await api(app).post('/api/incoming', {
      files: [
        { path: 'a', bytes: 1, sha256: sha('x') },
        { path: 'a', bytes: 1, sha256: sha('x') }
      ]
    });
    expect(twice.status).toBe(400);
    expect(twice.body.error).toContain('a is listed twice');
    const digest = await api(app).post('/api/incoming', { files: [{ path: 'a', bytes: 1, sha256: 'ABC' }] });
    expect(digest.status).toBe(400);
    expect(digest.body.error).toContain('files.0.sha256: must be a SHA-256 digest');
    const empty = await api(app).post('/api/incoming', { files: [] });
    expect(empty.status).toBe(400);
    expect(incomingEntries()).toEqual([]);
  });
});

describe('room for a transfer', () => {
  test('more bytes than the data folder has free are refused with a 507 before anything is created', async () => {
    const app = open();
    const stats = await fs.promises.statfs(dataDir);
    const free = stats.bavail * stats.bsize;
    const response = await api(app).post('/api/incoming', {
      files: [{ path: 'g0.pkl', bytes: free + 1, sha256: sha('x') }]
    });
    expect(response.status).toBe(507);
    expect(response.body.error).toMatch(
      /^not enough disk space for the transfer: [0-9.]+ [kMGT]?B free in the data folder, the checkpoint needs [0-9.]+ [kMGT]?B$/
    );
    expect(response.body.neededBytes).toBeGreaterThan(free);
    expect(typeof response.body.freeBytes).toBe('number');
    expect(incomingEntries()).toEqual([]);
  });

  test('the sender names the target and both sizes', async () => {
    const target = await fakeJupyter(open(), { secret: SECRET, token: 'tok', root: dataDir });
    servers.push(target);
    const client = new TargetClient(targetFromUrl(target.url, 'tok'));
    const huge = [{ path: 'g0.pkl', source: '/nowhere', bytes: 1e15, sha256: sha('x') }];
    await expect(announce(client, huge)).rejects.toThrow(
      /^the target http:\/\/127\.0\.0\.1:\d+ has [0-9.]+ [kMGT]?B free, the checkpoint needs 1000 TB: free some space there, or choose another target$/
    );
  });
});

describe('sending chunks', () => {
  const data = Buffer.from('0123456789abcdef');

  async function announced(app: App): Promise<string> {
    const response = await api(app).post('/api/incoming', {
      files: [
        { path: 'payloads/c1/g0.pkl', bytes: data.length, sha256: sha(data) },
        { path: 'manifest.json', bytes: 2, sha256: sha('{}') }
      ]
    });
    expect(response.status).toBe(201);
    return response.body.transferId;
  }

  const put = (app: App, id: string, file: string, offset: number, chunk: Buffer, digest = sha(chunk)) =>
    api(app).put(`/api/incoming/${id}/files?path=${encodeURIComponent(file)}&offset=${offset}&sha256=${digest}`, chunk);

  test('chunks append in order; a wrong offset is refused with the offset to resume from', async () => {
    const app = open();
    const id = await announced(app);
    expect((await put(app, id, 'payloads/c1/g0.pkl', 0, data.subarray(0, 6))).body).toEqual({
      path: 'payloads/c1/g0.pkl',
      received: 6
    });
    // The same chunk again (its answer was lost): refused, nothing written twice.
    const again = await put(app, id, 'payloads/c1/g0.pkl', 0, data.subarray(0, 6));
    expect(again.status).toBe(409);
    expect(again.body).toEqual({
      error: 'payloads/c1/g0.pkl has 6 bytes: the next chunk starts at offset 6',
      expectedOffset: 6
    });
    const ahead = await put(app, id, 'payloads/c1/g0.pkl', 10, data.subarray(10));
    expect(ahead.status).toBe(409);
    expect(ahead.body.expectedOffset).toBe(6);

    const status = await api(app).get(`/api/incoming/${id}`);
    expect(status.body).toEqual({
      transferId: id,
      complete: false,
      files: [
        { path: 'payloads/c1/g0.pkl', bytes: 16, sha256: sha(data), received: 6 },
        { path: 'manifest.json', bytes: 2, sha256: sha('{}'), received: 0 }
      ]
    });
    expect((await put(app, id, 'payloads/c1/g0.pkl', 6, data.subarray(6))).body.received).toBe(16);
    expect((await put(app, id, 'manifest.json', 0, Buffer.from('{}'))).body.received).toBe(2);
    expect((await api(app).get(`/api/incoming/${id}`)).body.complete).toBe(true);
    expect(fs.readFileSync(path.join(dataDir, 'incoming', id, 'payloads', 'c1', 'g0.pkl'))).toEqual(data);
  });

  test('a chunk that does not match its checksum, overruns the file or names another file is refused', async () => {
    const app = open();
    const id = await announced(app);
    const corrupt = await put(app, id, 'payloads/c1/g0.pkl', 0, data.subarray(0, 4), sha('else'));
    expect(corrupt.status).toBe(400);
    expect(corrupt.body.error).toBe('the chunk of payloads/c1/g0.pkl at 0 does not match its sha256: send it again');
    const over = await put(app, id, 'manifest.json', 0, Buffer.from('{} '));
    expect(over.status).toBe(400);
    expect(over.body.error).toBe('the chunk of manifest.json ends at 3, beyond its announced 2 bytes');
    const other = await put(app, id, 'other.pkl', 0, Buffer.from('x'));
    expect(other.status).toBe(400);
    expect(other.body.error).toBe(`path: other.pkl is not a file of transfer ${id}`);
    const unsafe = await put(app, id, '../x', 0, Buffer.from('x'));
    expect(unsafe.status).toBe(400);
    const noOffset = await api(app).put(
      `/api/incoming/${id}/files?path=manifest.json&sha256=${sha('{}')}`,
      Buffer.from('{}')
    );
    expect(noOffset.status).toBe(400);
    expect(noOffset.body.error).toContain('offset');
    expect((await api(app).get(`/api/incoming/${id}`)).body.files.map((f: any) => f.received)).toEqual([0, 0]);
  });

  test('restoring an incomplete transfer is refused; cancelling removes everything; unknown ids are 404', async () => {
    const app = open();
    const id = await announced(app);
    await put(app, id, 'payloads/c1/g0.pkl', 0, data);
    const early = await api(app).post(`/api/incoming/${id}/restore`, { notebookPath: 'a.ipynb' });
    expect(early.status).toBe(409);
    expect(early.body.error).toBe(`transfer ${id} is incomplete: manifest.json has 0 of 2 bytes`);
    const escaping = await api(app).post(`/api/incoming/${id}/restore`, { notebookPath: '../a.ipynb' });
    expect(escaping.status).toBe(400);

    expect((await api(app).delete(`/api/incoming/${id}`)).body).toEqual({ deleted: id });
    expect(incomingEntries()).toEqual([]);
    expect((await api(app).delete(`/api/incoming/${id}`)).status).toBe(404);
    expect((await api(app).get(`/api/incoming/${id}`)).status).toBe(404);
    expect((await put(app, id, 'manifest.json', 0, Buffer.from('{}'))).status).toBe(404);
  });

  test('a transfer idle for a day is removed when the next one is announced', async () => {
    const app = open();
    const idle = await announced(app);
    const active = await announced(app);
    const dayAgo = new Date(Date.now() - 25 * 60 * 60 * 1000);
    fs.utimesSync(path.join(dataDir, 'incoming', `${idle}.json`), dayAgo, dayAgo);
    fs.utimesSync(path.join(dataDir, 'incoming', `${active}.json`), dayAgo, dayAgo);
    // A chunk is activity: it keeps its transfer.
    expect((await put(app, active, 'manifest.json', 0, Buffer.from('{}'))).status).toBe(200);
    const next = await announced(app);
    expect(incomingEntries().sort()).toEqual([active, `${active}.json`, next, `${next}.json`].sort());
    expect((await api(app).get(`/api/incoming/${idle}`)).status).toBe(404);
  });

  test('a file whose bytes do not match the announced SHA-256 fails verification', async () => {
    const app = open();
    const response = await api(app).post('/api/incoming', {
      files: [{ path: 'manifest.json', bytes: 2, sha256: sha('[]') }]
    });
    const id = response.body.transferId;
    expect((await put(app, id, 'manifest.json', 0, Buffer.from('{}'))).status).toBe(200);
    const restore = await api(app).post(`/api/incoming/${id}/restore`, { notebookPath: 'a.ipynb' });
    expect(restore.status).toBe(422);
    expect(restore.body.error).toBe(`manifest.json of transfer ${id} does not match its SHA-256; send it again`);
  });
});

describe('the sender', () => {
  function sourceFiles(): Array<{ path: string; source: string }> {
    const folder = path.join(dataDir, 'outgoing');
    fs.mkdirSync(path.join(folder, 'payloads', 'c1'), { recursive: true });
    fs.writeFileSync(path.join(folder, 'manifest.json'), '{"small": true}');
    fs.writeFileSync(
      path.join(folder, 'payloads', 'c1', 'g0.pkl'),
      Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251))
    );
    fs.writeFileSync(path.join(folder, 'payloads', 'c1', 'empty.pkl'), '');
    return ['manifest.json', 'payloads/c1/g0.pkl', 'payloads/c1/empty.pkl'].map(p => ({
      path: p,
      source: path.join(folder, ...p.split('/'))
    }));
  }

  test('resumes from the last confirmed byte after the connection is cut mid-transfer', async () => {
    // The target stores the 3rd chunk, then cuts the connection without answering.
    const target = await fakeJupyter(open({ cutChunk: 3 }), { secret: SECRET, token: 'tok', root: dataDir });
    servers.push(target);
    const client = new TargetClient(targetFromUrl(target.url, 'tok'));
    const files = await outgoingFiles(sourceFiles());
    const id = await announce(client, files);
    const retries: string[] = [];
    const progress: number[] = [];
    await sendFiles(client, id, files, {
      chunkBytes: 1000,
      backoffMs: 1,
      onRetry: message => retries.push(message),
      onProgress: done => progress.push(done)
    });
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatch(
      /^sending payloads\/c1\/g0.pkl again from the last confirmed byte \(attempt 2\): cannot reach/
    );
    expect(progress[progress.length - 1]).toBe(5015);
    for (const file of files) {
      const arrived = path.join(dataDir, 'incoming', id, ...file.path.split('/'));
      if (file.bytes > 0) {
        expect(fs.readFileSync(arrived)).toEqual(fs.readFileSync(file.source));
      }
    }
    // The empty file comes into being at verification; then the whole bundle checks out.
    const status = await client.json<any>(`elastic-notebook/api/incoming/${id}`);
    expect(status.complete).toBe(true);
  });

  test('a refused token is a clear error, not a retry', async () => {
    const target = await fakeJupyter(open(), { secret: SECRET, token: 'right', root: dataDir });
    servers.push(target);
    const client = new TargetClient(targetFromUrl(target.url, 'wrong'));
    const error = await client.check().catch(e => e);
    expect(error).toBeInstanceOf(TargetError);
    expect(error.message).toBe(
      `the target ${target.url.replace(/\/$/, '')} refused the token (HTTP 403): check the target's token`
    );
    expect(error.message).not.toContain('wrong');
  });

  test('gives up after the retries when the target stays unreachable', async () => {
    const target = await fakeJupyter(open(), { secret: SECRET, token: 'tok', root: dataDir });
    const client = new TargetClient(targetFromUrl(target.url, 'tok'));
    const files = await outgoingFiles(sourceFiles());
    const id = await announce(client, files);
    await target.close();
    const error = await sendFiles(client, id, files, { retries: 2, backoffMs: 1 }).catch(e => e);
    expect(error).toBeInstanceOf(TargetError);
    expect(error.message).toMatch(/^cannot reach the target/);
  });
});
