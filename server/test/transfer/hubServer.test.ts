/**
 * The Hub client (hubServer.ts) and the migration's Hub step (hubStep.ts) against a fake Hub
 * (fakeHub.ts): a server ready at once, pending then ready, a spawn that fails (in the POST, or
 * later in the progress stream), a timeout, a cancel, and a server that runs already. A server the
 * migration started is stopped again when the migration fails or is cancelled; one that ran
 * before never is.
 */
import { migrateThroughHub } from '../../src/jobs/hubStep';
import type { IJobContext } from '../../src/jobs/job';
import { MigrationError } from '../../src/migrate/migrationError';
import { THIS_MACHINE } from '../../src/targets/targetRegistry';
import { HubServer, IHubTarget } from '../../src/transfer/hubServer';
import { registryResolver } from '../../src/transfer/targets';
import { fakeHub, IFakeHub, NARROW } from './fakeHub';

const TOKEN = 'hub-token';

let hub: IFakeHub;

beforeEach(async () => {
  hub = await fakeHub({ token: TOKEN, user: 'alice' });
});

afterEach(() => hub.close());

const hubTarget = (fields: Partial<IHubTarget['hub']> = {}): IHubTarget => ({
  name: 'big',
  kind: 'jupyterhub',
  url: hub.url,
  token: TOKEN,
  hub: { user: 'alice', server: 'gpu', profile: 'large', userOptions: { image: 'lab:4' }, ...fields }
});

/** A job context that keeps its steps. */
function jobContext(controller = new AbortController()): IJobContext & { steps: string[] } {
  const steps: string[] = [];
  return { signal: controller.signal, steps, step: message => steps.push(message), progress: () => undefined };
}

const posts = () => hub.calls.filter(c => c.method === 'POST');
const deletes = () => hub.calls.filter(c => c.method === 'DELETE');

describe('HubServer', () => {
  it('starts a stopped server with the profile among its user_options and answers it as a Jupyter target', async () => {
    const server = new HubServer(hubTarget(), { pollMs: 10 });
    const target = await server.start(new AbortController().signal);
    expect(target).toEqual({ name: 'big', kind: 'jupyter', url: `${hub.url}user/alice/gpu/`, token: TOKEN });
    expect(server.startedHere).toBe(true);
    expect(posts()).toEqual([{ method: 'POST', server: 'gpu', body: { image: 'lab:4', profile: 'large' } }]);
    expect(hub.active('gpu')).toBe(true);
  });

  it('waits for a pending spawn, relaying its progress messages', async () => {
    hub.spawn = { kind: 'slow', afterMs: 150, messages: ['Server requested', 'Pulling image lab:4'] };
    const progress: string[] = [];
    const server = new HubServer(hubTarget(), { pollMs: 10, onProgress: m => progress.push(m) });
    const target = await server.start(new AbortController().signal);
    expect(target.url).toBe(`${hub.url}user/alice/gpu/`);
    expect(progress).toEqual(['Server requested', 'Pulling image lab:4']);
  });

  it("fails with the Hub's reason when the spawn fails later, naming the Hub, user and server", async () => {
    hub.spawn = { kind: 'fails-later', afterMs: 50, message: 'image lab:4 not found' };
    const server = new HubServer(hubTarget(), { pollMs: 10 });
    const failure = server.start(new AbortController().signal);
    await expect(failure).rejects.toThrow(MigrationError);
    await expect(failure).rejects.toThrow(
      `server "gpu" of alice on the Hub ${hub.url} failed to start: Spawn failed: image lab:4 not found`
    );
  });

  it("fails with the POST's error message when the Hub refuses to start the server", async () => {
    hub.spawn = { kind: 'post-fails', message: 'Unhandled error starting server gpu: no quota left' };
    const server = new HubServer(hubTarget(), { pollMs: 10 });
    await expect(server.start(new AbortController().signal)).rejects.toThrow(
      `server "gpu" of alice on the Hub ${hub.url}: could not start it: Unhandled error starting server gpu: no quota left`
    );
  });

  it("reads a spawn's reason from the progress stream when the POST answers a bare 500", async () => {
    hub.spawn = { kind: 'post-fails', message: 'Internal Server Error', progress: 'profile large: no node fits' };
    const server = new HubServer(hubTarget(), { pollMs: 10 });
    await expect(server.start(new AbortController().signal)).rejects.toThrow(
      `server "gpu" of alice on the Hub ${hub.url} failed to start: Spawn failed: profile large: no node fits`
    );
  });

  it('gives up after the timeout', async () => {
    hub.spawn = { kind: 'never' };
    const server = new HubServer(hubTarget(), { pollMs: 10, timeoutMs: 300 });
    await expect(server.start(new AbortController().signal)).rejects.toThrow(
      `server "gpu" of alice on the Hub ${hub.url} did not become ready within 0.3 s`
    );
    expect(server.startedHere).toBe(true);
  });

  it('uses a server that runs already as it is', async () => {
    hub.run('gpu');
    const server = new HubServer(hubTarget(), { pollMs: 10 });
    expect((await server.start(new AbortController().signal)).url).toBe(`${hub.url}user/alice/gpu/`);
    expect(server.startedHere).toBe(false);
    expect(posts()).toEqual([]);
  });

  it("says when the token may not see the user's servers, starting nothing", async () => {
    const server = new HubServer({ ...hubTarget(), token: `${NARROW}${TOKEN}` }, { pollMs: 10 });
    await expect(server.start(new AbortController().signal)).rejects.toThrow(
      `server "gpu" of alice on the Hub ${hub.url}: the Hub does not show alice's servers to this token (it needs the scope servers!user=alice)`
    );
    expect(hub.calls).toEqual([]);
  });

  it('says when the Hub refuses the token, and which scopes it needs', async () => {
    const server = new HubServer({ ...hubTarget(), token: 'wrong' }, { pollMs: 10 });
    await expect(server.start(new AbortController().signal)).rejects.toThrow(
      /cannot read the user alice: the Hub refused the API token \(HTTP 403; it needs the scopes servers, access:servers and read:users/
    );
  });
});

describe('migrateThroughHub', () => {
  it('migrates to the started server, with the starting step first', async () => {
    const context = jobContext();
    const result = await migrateThroughHub(hubTarget(), context, async target => target.url, 5000);
    expect(result).toBe(`${hub.url}user/alice/gpu/`);
    expect(context.steps[0]).toBe(`starting server "gpu" of alice on the Hub ${hub.url}`);
    expect(context.steps).toContain(`started server at ${hub.url}user/alice/gpu/`);
    expect(deletes()).toEqual([]);
  });

  it('stops the server it started when the migration then fails, and passes the failure on', async () => {
    const context = jobContext();
    const failing = migrateThroughHub(
      hubTarget(),
      context,
      async () => {
        throw new MigrationError('migration to big failed: the restore failed (this session is untouched)');
      },
      5000
    );
    await expect(failing).rejects.toThrow('migration to big failed: the restore failed (this session is untouched)');
    expect(deletes()).toEqual([{ method: 'DELETE', server: 'gpu' }]);
    expect(hub.active('gpu')).toBe(false);
    expect(context.steps).toContain(`stopping server "gpu" of alice on the Hub ${hub.url} (this migration started it)`);
  });

  it('never stops a server that ran before, whatever fails', async () => {
    hub.run('gpu');
    const failing = migrateThroughHub(
      hubTarget(),
      jobContext(),
      async () => {
        throw new MigrationError('boom');
      },
      5000
    );
    await expect(failing).rejects.toThrow('boom');
    expect(hub.calls).toEqual([]);
    expect(hub.active('gpu')).toBe(true);
  });

  it('cancelled while the server starts: stops it and says the session is untouched', async () => {
    hub.spawn = { kind: 'never' };
    const controller = new AbortController();
    const context = jobContext(controller);
    const migrate = jest.fn(async () => 'never');
    const cancelled = migrateThroughHub(hubTarget(), context, migrate, 5000);
    setTimeout(() => controller.abort(), 100);
    await expect(cancelled).rejects.toThrow('migration to big cancelled; this session is untouched');
    expect(migrate).not.toHaveBeenCalled();
    expect(deletes()).toEqual([{ method: 'DELETE', server: 'gpu' }]);
    expect(hub.active('gpu')).toBe(false);
  });

  it("a spawn failure fails the migration with the Hub's reason; nothing is left running", async () => {
    hub.spawn = { kind: 'fails-later', afterMs: 50, message: 'no node fits' };
    const migrate = jest.fn(async () => 'never');
    await expect(migrateThroughHub(hubTarget(), jobContext(), migrate, 5000)).rejects.toThrow(
      `migration to big failed: server "gpu" of alice on the Hub ${hub.url} failed to start: Spawn failed: no node fits (this session is untouched)`
    );
    expect(migrate).not.toHaveBeenCalled();
    expect(hub.active('gpu')).toBe(false);
  });
});

describe('registryResolver', () => {
  it('resolves a Hub target as it is, starting nothing, and this machine as a local target', async () => {
    const resolve = registryResolver(async name =>
      name === THIS_MACHINE
        ? { name, kind: 'local', url: '', token: '' }
        : {
            name,
            kind: 'jupyterhub',
            url: 'http://hub.example/',
            token: 't',
            hub: { user: 'ann', server: 'gpu', profile: 'a100' }
          }
    );
    await expect(resolve('big')).resolves.toEqual({
      name: 'big',
      kind: 'jupyterhub',
      url: 'http://hub.example/',
      token: 't',
      hub: { user: 'ann', server: 'gpu', profile: 'a100' }
    });
    await expect(resolve(THIS_MACHINE)).resolves.toEqual({ name: THIS_MACHINE, kind: 'local', url: '', token: '' });
  });
});
