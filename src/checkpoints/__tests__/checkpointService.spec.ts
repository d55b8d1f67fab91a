import { fakeServer, IRecordedRequest } from '../../shared/__tests__/serverFake';
import { checkpointService, ICheckpointRequest } from '../checkpointService';
import { DEFAULT_STORAGE, IStorageSettings } from '../storageSettings';

afterEach(() => jest.restoreAllMocks());

const request: ICheckpointRequest = {
  objective: 'balanced',
  marks: { neverRerun: { cellIds: [], cellIndices: [] }, alwaysCopy: [], neverCopy: ['cache'] },
  notebookPath: 'work/train.ipynb',
  kernelName: 'python3'
};
const s3: IStorageSettings = { checkpointRoot: 's3://team/ckpt', s3Endpoint: 'http://127.0.0.1:9000', s3Region: 'eu' };
const job = { jobId: 'j1', kind: 'checkpoint', state: 'running' };

/** Run `call` against a server that answers `body`, and return the one request it made. */
async function onlyRequestOf(call: () => Promise<unknown>, body: unknown = job): Promise<IRecordedRequest> {
  const requests = fakeServer(() => ({ status: 200, body }));
  await call();
  expect(requests).toHaveLength(1);
  return requests[0];
}

describe('checkpointService', () => {
  it('starts a checkpoint with the server defaults when nothing is configured', async () => {
    const sent = await onlyRequestOf(() => checkpointService.startCheckpoint('k1', request, DEFAULT_STORAGE));
    expect(sent).toEqual({ method: 'POST', path: 'kernels/k1/checkpoints', body: request });
  });

  it('adds the configured root and S3 endpoint and region to a checkpoint', async () => {
    const sent = await onlyRequestOf(() => checkpointService.startCheckpoint('k1', request, s3));
    expect(sent.body).toEqual({
      ...request,
      root: 's3://team/ckpt',
      s3: { endpoint: 'http://127.0.0.1:9000', region: 'eu' }
    });
  });

  it('asks for trust on a restore only when the user gave it', async () => {
    const trusted = await onlyRequestOf(() => checkpointService.startRestore('k1', '/tmp/b', true, DEFAULT_STORAGE));
    expect(trusted).toEqual({ method: 'POST', path: 'kernels/k1/restore', body: { uri: '/tmp/b', trust: true } });
    jest.restoreAllMocks();
    const plain = await onlyRequestOf(() => checkpointService.startRestore('k1', '/tmp/b', false, DEFAULT_STORAGE));
    expect(plain.body).toEqual({ uri: '/tmp/b' });
  });

  it("passes the restore's trust refusal on with its body", async () => {
    fakeServer(() => ({ status: 400, body: { error: 'outside the checkpoint root', trustRequired: true } }));
    await expect(checkpointService.startRestore('k1', '/elsewhere', false, DEFAULT_STORAGE)).rejects.toMatchObject({
      status: 400,
      body: { trustRequired: true }
    });
  });

  it("posts a migration to the kernel's migrate route with the target's name only", async () => {
    const migration = { ...request, target: 'gpu box', overwrite: true };
    const sent = await onlyRequestOf(() => checkpointService.startMigration('k/1', migration));
    expect(sent).toEqual({ method: 'POST', path: 'kernels/k%2F1/migrate', body: migration });
  });

  it('reads, lists and cancels jobs by escaped id', async () => {
    expect((await onlyRequestOf(() => checkpointService.job('a/b'))).path).toBe('jobs/a%2Fb');
    jest.restoreAllMocks();
    const cancel = await onlyRequestOf(() => checkpointService.cancel('j1'));
    expect(cancel).toEqual({ method: 'POST', path: 'jobs/j1/cancel', body: {} });
    jest.restoreAllMocks();
    const jobs = [job];
    fakeServer(() => ({ status: 200, body: { jobs } }));
    await expect(checkpointService.jobs('k 1')).resolves.toEqual(jobs);
  });

  it('lists, describes and deletes with the storage settings as query parameters', async () => {
    const list = await onlyRequestOf(() => checkpointService.list(s3), { checkpoints: [] });
    expect(list.path).toBe(
      'checkpoints?root=s3%3A%2F%2Fteam%2Fckpt&s3Endpoint=http%3A%2F%2F127.0.0.1%3A9000&s3Region=eu'
    );
    jest.restoreAllMocks();
    expect((await onlyRequestOf(() => checkpointService.list(DEFAULT_STORAGE), { checkpoints: [] })).path).toBe(
      'checkpoints'
    );
    jest.restoreAllMocks();
    const describe = await onlyRequestOf(() => checkpointService.describe('/tmp/b 1', DEFAULT_STORAGE), {});
    expect(describe.path).toBe('checkpoints/describe?uri=%2Ftmp%2Fb+1');
    jest.restoreAllMocks();
    const removal = await onlyRequestOf(() => checkpointService.remove('s3://team/ckpt/b', s3), {});
    expect(removal.method).toBe('DELETE');
    expect(removal.path).toBe(
      'checkpoints?uri=s3%3A%2F%2Fteam%2Fckpt%2Fb&s3Endpoint=http%3A%2F%2F127.0.0.1%3A9000&s3Region=eu'
    );
  });
});
