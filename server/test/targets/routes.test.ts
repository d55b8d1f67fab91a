import express from 'express';
import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import { targetListSchema } from '@elastic-notebook/protocol/schemas';
import { createCompanion, ICompanion } from '../../src/companion/createCompanion';
import { freePort } from '../../src/cli/localServer';
import { ingestToken } from '../../src/auth';
import { packageVersion } from '../../src/version';
import { record } from '../companion/records';
import { IRemote, jupyterApp, listen, remoteJupyter } from './remotes';

const SECRET = 'test-secret';
const TOKEN = 'remote-token-secret-0123';
let dataDir: string;
let companion: ICompanion;
const warnings: string[] = [];
const closing: IRemote[] = [];

const get = (url: string) => request(companion.app).get(url).set('X-Elastic-Notebook-Secret', SECRET);
const post = (url: string, body: unknown) =>
  request(companion.app)
    .post(url)
    .set('X-Elastic-Notebook-Secret', SECRET)
    .send(body as object);
const del = (url: string) => request(companion.app).delete(url).set('X-Elastic-Notebook-Secret', SECRET);
const writeTargets = (file: string, targets: unknown[]) =>
  fs.writeFileSync(path.join(dataDir, file), JSON.stringify({ targets }));

/** The listing, checked against the protocol, by name; and its raw text. */
async function list(query = ''): Promise<{ byName: Record<string, any>; text: string }> {
  const res = await get(`/api/targets${query}`);
  expect(res.status).toBe(200);
  const parsed = targetListSchema.parse(res.body);
  return { byName: Object.fromEntries(parsed.targets.map(t => [t.name, t])), text: res.text };
}

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elastic-targets-routes-'));
  warnings.length = 0;
  companion = createCompanion({
    secret: SECRET,
    dataDir,
    warn: m => warnings.push(m),
    jupyterUrl: 'http://127.0.0.1:8888/',
    probeTimeoutMs: 1500,
    pythonInfo: async modules => ({
      version: '3.11.7',
      executable: '/venv/bin/python',
      modules: Object.fromEntries(modules.map(m => [m, m === 'numpy' ? '2.0.0' : null]))
    })
  });
});
afterEach(async () => {
  await Promise.all(closing.splice(0).map(r => r.close()));
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('GET /api/machine', () => {
  test('the facts, with the modules asked about', async () => {
    const res = await get('/api/machine?modules=numpy,pandas');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      version: packageVersion(),
      python: { version: '3.11.7', executable: '/venv/bin/python' },
      modules: { numpy: '2.0.0', pandas: null },
      disk: { path: dataDir }
    });
    expect(res.body.cpuScore).toBeGreaterThan(0);
  });

  test('a bad module list is a 400; the routes need the secret', async () => {
    expect((await get('/api/machine?modules=a/b')).body.error).toBe('modules.0: must be comma-separated module names');
    expect((await request(companion.app).get('/api/machine')).status).toBe(401);
    expect((await request(companion.app).get('/api/targets')).status).toBe(401);
    expect((await request(companion.app).post('/api/machine/echo')).status).toBe(401);
  });

  test('echo counts the raw bytes', async () => {
    const res = await request(companion.app)
      .post('/api/machine/echo')
      .set('X-Elastic-Notebook-Secret', SECRET)
      .set('Content-Type', 'application/octet-stream')
      .send(Buffer.alloc(300_000, 7));
    expect(res.body).toEqual({ bytes: 300_000 });
  });
});

describe('GET /api/targets', () => {
  test('this machine alone when nothing is configured', async () => {
    const { byName } = await list();
    expect(Object.keys(byName)).toEqual(['this machine']);
    expect(byName['this machine']).toMatchObject({
      kind: 'local',
      url: 'http://127.0.0.1:8888/',
      origin: 'config',
      removable: false,
      reachable: true,
      versionMatch: true,
      relativeCpuSpeed: 1
    });
  });

  test('a reachable remote: its facts, version match, CPU speed, probed then measured bandwidth; no token anywhere', async () => {
    const remote = await remoteJupyter(TOKEN);
    closing.push(remote);
    writeTargets('configured-targets.json', [{ name: 'remote', url: remote.url, token: TOKEN }]);
    const { byName, text } = await list();
    const target = byName.remote;
    expect(target).toMatchObject({
      kind: 'jupyter',
      url: remote.url,
      origin: 'config',
      reachable: true,
      reason: null,
      versionMatch: true,
      bandwidthSource: 'probe',
      moduleMismatches: []
    });
    expect(target.machine.cpus).toBeGreaterThan(0);
    expect(target.relativeCpuSpeed).toBeGreaterThan(0);
    expect(target.bandwidthBytesPerSec).toBeGreaterThan(0);
    expect(text).not.toContain(TOKEN);
    expect(remote.seen.filter(s => s.includes('/echo'))).toHaveLength(1);
    // The token went in the Authorization header only.
    expect(remote.seen.every(s => s.endsWith(`token ${TOKEN}`) && !s.split(' ')[1].includes(TOKEN))).toBe(true);

    // A second listing reuses the probe; a real transfer measured replaces it.
    await list();
    expect(remote.seen.filter(s => s.includes('/echo'))).toHaveLength(1);
    await companion.recordBandwidth('remote', 50_000_000, 1000);
    const measured = (await list()).byName.remote;
    expect(measured).toMatchObject({ bandwidthSource: 'measured', bandwidthBytesPerSec: 50_000_000 });
    expect(warnings.join('\n')).not.toContain(TOKEN);
  });

  test('another version, a refused token, a closed port, a server without the extension, a timeout', async () => {
    const other = await remoteJupyter(TOKEN, { version: '0.0.1-other' });
    const plain = await listen(express().use((_req, res) => res.status(404).json({ message: 'Not Found' })));
    const silent = await listen(() => undefined); // accepts, never answers
    closing.push(other, plain, silent);
    writeTargets('targets.json', [
      { name: 'other', url: other.url, token: TOKEN },
      { name: 'refused', url: other.url, token: 'wrong-token' },
      { name: 'closed', url: `http://127.0.0.1:${await freePort()}/`, token: 't' },
      { name: 'plain', url: plain.url, token: 't' },
      { name: 'silent', url: silent.url, token: 't' },
      { name: 'unsafe port', url: 'http://127.0.0.1:6000/', token: 't' }
    ]);
    const { byName, text } = await list();
    expect(byName.other).toMatchObject({ reachable: true, versionMatch: false });
    expect(byName.refused).toMatchObject({ reachable: false, reason: '403: token refused', machine: null });
    expect(byName.closed).toMatchObject({ reachable: false, reason: 'connection refused' });
    expect(byName.plain).toMatchObject({
      reachable: false,
      reason: 'not an Elastic Notebook server (404 on /elastic-notebook/api/machine)'
    });
    expect(byName.silent).toMatchObject({ reachable: false, reason: 'timed out after 1.5 s' });
    expect(byName['unsafe port'].reason).toBe('port refused by the HTTP client as unsafe (choose another port)');
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('wrong-token');
  });

  test("with a kernel, its session's packages are compared", async () => {
    const remote = await remoteJupyter(TOKEN);
    closing.push(remote);
    writeTargets('targets.json', [{ name: 'remote', url: remote.url, token: TOKEN }]);
    const ingest = await request(companion.app)
      .post('/api/kernels/k1/records')
      .set('Authorization', `Bearer ${ingestToken(SECRET, 'k1')}`)
      .send({ runId: 'r1', records: [{ ...record(0), packagesLoaded: ['numpy', 'pandas'] }] });
    expect(ingest.status).toBe(200);
    const { byName } = await list('?kernelId=k1');
    // The remote companion has no Python to ask: every module is missing there.
    expect(byName.remote.moduleMismatches).toEqual([{ module: 'numpy', here: '2.0.0', there: null }]);
    expect(byName['this machine'].machine.modules).toEqual({ numpy: '2.0.0', pandas: null });
    expect((await get('/api/targets?kernelId=../x')).status).toBe(400);
  });

  test('a malformed definition is listed with its reason, and the rest still works', async () => {
    fs.writeFileSync(path.join(dataDir, 'targets.json'), '[{"name": "bad", "url": "nope", "token": "x"}]');
    const { byName } = await list();
    expect(byName.bad).toMatchObject({
      reachable: false,
      removable: false,
      origin: 'file',
      reason: 'targets.json: target 0: url: must be an http(s) URL',
      configError: 'targets.json: target 0: url: must be an http(s) URL'
    });
    expect(byName['this machine'].reachable).toBe(true);
    expect(warnings).toEqual([
      'elastic-notebook: ignoring a target: targets.json: target 0: url: must be an http(s) URL'
    ]);
  });

  test('a JupyterHub target: stopped, running, refused, unreachable', async () => {
    let servers: Record<string, unknown> = {};
    // The Hub's proxy serves ann's "gpu" server on the Hub's origin; it accepts the Hub API token.
    const annServer = jupyterApp('hub-token');
    const hub = await listen(
      express()
        .get('/hub/api/users/:user', (req, res) => {
          if (req.headers.authorization !== 'token hub-token') {
            res.status(403).json({ status: 403, message: 'Forbidden' });
          } else if (req.params.user !== 'ann') {
            res.status(404).json({ status: 404, message: 'Not Found' });
          } else {
            res.json({ name: 'ann', servers });
          }
        })
        .use('/user/ann/gpu', annServer.app)
    );
    closing.push(hub, { url: '', close: async () => annServer.dispose() });
    const hubTarget = (name: string, extra: object) => ({
      name,
      kind: 'jupyterhub',
      hubUrl: hub.url,
      apiToken: 'hub-token',
      user: 'ann',
      server: 'gpu',
      ...extra
    });
    writeTargets('targets.json', [
      hubTarget('hub', {}),
      hubTarget('hub refused', { apiToken: 'nope' }),
      hubTarget('hub nobody', { user: 'bob' }),
      hubTarget('hub down', { hubUrl: `http://127.0.0.1:${await freePort()}/` })
    ]);
    let { byName } = await list();
    expect(byName.hub).toMatchObject({
      kind: 'jupyterhub',
      url: hub.url,
      reachable: false,
      reason: 'not running (started on migration)',
      hub: { user: 'ann', server: 'gpu', state: 'stopped' }
    });
    expect(byName['hub refused']).toMatchObject({ reachable: false, reason: '403: Hub API token refused' });
    expect(byName['hub nobody'].reason).toBe('Hub: Not Found (no user "bob", or not a JupyterHub)');
    expect(byName['hub down']).toMatchObject({ reachable: false, reason: 'Hub: connection refused' });

    servers = { gpu: { ready: false, pending: 'spawn', url: '/user/ann/gpu/' } };
    writeTargets('targets.json', [hubTarget('hub', {})]);
    ({ byName } = await list());
    expect(byName.hub).toMatchObject({ reachable: false, reason: 'starting on the Hub', hub: { state: 'pending' } });

    servers = { gpu: { ready: true, pending: null, url: '/user/ann/gpu/' } };
    ({ byName } = await list());
    expect(byName.hub).toMatchObject({ reachable: true, versionMatch: true, hub: { state: 'running' } });
    expect(byName.hub.machine.cpus).toBeGreaterThan(0);

    // A server URL on another origin would receive the Hub token: refused.
    servers = { gpu: { ready: true, pending: null, url: 'http://127.0.0.1:9/user/ann/gpu/' } };
    ({ byName } = await list());
    expect(byName.hub).toMatchObject({
      reachable: false,
      reason: "Hub: the server's URL http://127.0.0.1:9 is not on the Hub's origin"
    });
  });
});

describe('POST and DELETE /api/targets', () => {
  test('add a reachable server: 201 the listed target, stored 0600, no token in the answer', async () => {
    const remote = await remoteJupyter(TOKEN);
    closing.push(remote);
    const res = await post('/api/targets', { name: 'mine', url: remote.url.replace(/\/$/, ''), token: TOKEN });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'mine',
      url: remote.url,
      origin: 'panel',
      removable: true,
      reachable: true
    });
    expect(res.text).not.toContain(TOKEN);
    expect(fs.statSync(path.join(dataDir, 'panel-targets.json')).mode & 0o777).toBe(0o600);
    expect(await companion.resolveTarget('mine')).toEqual({
      name: 'mine',
      kind: 'jupyter',
      url: remote.url,
      token: TOKEN
    });

    expect((await del('/api/targets/this%20machine')).status).toBe(403);
    expect((await del('/api/targets/nobody')).status).toBe(404);
    const removed = await del('/api/targets/mine');
    expect(removed.body).toEqual({ deleted: 'mine' });
    expect(Object.keys((await list()).byName)).toEqual(['this machine']);
  });

  test('refused: a bad body, a taken name, a refused token, not an Elastic Notebook server; nothing stored', async () => {
    const remote = await remoteJupyter(TOKEN);
    const plain = await listen(express().use((_req, res) => res.status(404).end()));
    closing.push(remote, plain);
    const cases: Array<[unknown, number, string]> = [
      [{ name: 'x', url: remote.url }, 400, 'token: Invalid input: expected string, received undefined'],
      [{ name: 'x', url: remote.url, token: '' }, 400, 'token: must not be empty'],
      [{ name: '', url: remote.url, token: 't' }, 400, 'name: must not be empty'],
      [{ name: 'x', url: 'javascript:alert(1)', token: 't' }, 400, 'url: must be an http(s) URL'],
      [{ name: 'x', url: remote.url, token: 't', extra: 1 }, 400, 'request body: Unrecognized key: "extra"'],
      [
        { name: 'This Machine', url: remote.url, token: TOKEN },
        409,
        'name: a target named "this machine" exists already'
      ],
      [{ name: 'x', url: remote.url, token: 'wrong' }, 400, `${remote.url}: 403: token refused`],
      [
        { name: 'x', url: plain.url, token: 't' },
        400,
        `${plain.url}: not an Elastic Notebook server (404 on /elastic-notebook/api/machine)`
      ]
    ];
    for (const [body, status, error] of cases) {
      const res = await post('/api/targets', body);
      expect([res.status, res.body.error]).toEqual([status, error]);
    }
    expect(fs.existsSync(path.join(dataDir, 'panel-targets.json'))).toBe(false);
  });

  test('an unreachable server is stored, listed unreachable', async () => {
    const url = `http://127.0.0.1:${await freePort()}/`;
    const res = await post('/api/targets', { name: 'later', url, token: 't' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ reachable: false, reason: 'connection refused', removable: true });
  });
});
