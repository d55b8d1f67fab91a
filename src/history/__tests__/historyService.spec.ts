import { ApiError } from '../../shared/api';
import { graphOf } from '../../shared/__tests__/modelFakes';
import { fakeServer } from '../../shared/__tests__/serverFake';
import { historyService } from '../historyService';

afterEach(() => jest.restoreAllMocks());

describe('historyService', () => {
  it("asks for the kernel's graph, its id escaped, and resolves with it", async () => {
    const graph = graphOf('k/1', 2);
    const requests = fakeServer(() => ({ status: 200, body: graph }));
    await expect(historyService.graph('k/1')).resolves.toEqual(graph);
    expect(requests).toEqual([{ method: 'GET', path: 'kernels/k%2F1/graph', body: undefined }]);
  });

  it('resolves with null when the extension knows no run for the kernel (its 404)', async () => {
    fakeServer(() => ({ status: 404, body: { error: 'no recorded run for kernel k' } }));
    await expect(historyService.graph('k')).resolves.toBeNull();
  });

  it('rejects with the extension error otherwise', async () => {
    fakeServer(() => ({ status: 500, body: { error: 'the history store is unreadable' } }));
    const failure = historyService.graph('k');
    await expect(failure).rejects.toBeInstanceOf(ApiError);
    await expect(failure).rejects.toMatchObject({ status: 500, message: 'the history store is unreadable' });
  });

  it("rejects on a 404 that is not the extension's (a missing server extension is an error)", async () => {
    fakeServer(() => ({ status: 404, body: { message: 'Not Found' } }));
    await expect(historyService.graph('k')).rejects.toMatchObject({ status: 404, fromExtension: false });
  });
});
