import { fakeServer } from '../../shared/__tests__/serverFake';
import { targetsService } from '../targetsService';
import { target, thisMachine } from './targetFixtures';

afterEach(() => jest.restoreAllMocks());

describe('targetsService', () => {
  it('lists the targets, with the kernel whose modules to compare', async () => {
    const targets = [thisMachine(), target('gpu')];
    const requests = fakeServer(() => ({ status: 200, body: { targets } }));
    await expect(targetsService.list('k 1')).resolves.toEqual(targets);
    await expect(targetsService.list(null)).resolves.toEqual(targets);
    expect(requests.map(r => [r.method, r.path])).toEqual([
      ['GET', 'targets?kernelId=k%201'],
      ['GET', 'targets']
    ]);
  });

  it('adds a Jupyter server and removes one by name', async () => {
    const added = target('mine', { origin: 'panel', removable: true });
    const requests = fakeServer(request =>
      request.method === 'POST' ? { status: 201, body: added } : { status: 200, body: { deleted: 'my box' } }
    );
    await expect(targetsService.add({ name: 'mine', url: 'http://h:8888/', token: 't' })).resolves.toEqual(added);
    await expect(targetsService.remove('my box')).resolves.toBeUndefined();
    expect(requests).toEqual([
      { method: 'POST', path: 'targets', body: { name: 'mine', url: 'http://h:8888/', token: 't' } },
      { method: 'DELETE', path: 'targets/my%20box', body: undefined }
    ]);
  });

  it("rejects with the companion's reason", async () => {
    fakeServer(() => ({ status: 400, body: { error: 'http://h:8888/: 403: token refused' } }));
    await expect(targetsService.add({ name: 'x', url: 'http://h:8888/', token: 'bad' })).rejects.toMatchObject({
      status: 400,
      message: 'http://h:8888/: 403: token refused'
    });
  });
});
