import { fakeServer } from '../../shared/__tests__/serverFake';
import { planService } from '../planService';

afterEach(() => jest.restoreAllMocks());

const marks = { neverRerun: { cellIds: ['c1'], cellIndices: [0] }, alwaysCopy: ['model'], neverCopy: [] };

describe('planService', () => {
  it('posts the objective and the marks to the kernel plan route and resolves with the plan', async () => {
    const plan = { objective: 'balanced', decisions: [] };
    const requests = fakeServer(() => ({ status: 200, body: plan }));
    await expect(planService.plan('k 1', { objective: 'fast-restore', marks })).resolves.toEqual(plan);
    expect(requests).toEqual([
      { method: 'POST', path: 'kernels/k%201/plan', body: { objective: 'fast-restore', marks } }
    ]);
  });

  it('resolves with null when nothing was recorded for the kernel', async () => {
    fakeServer(() => ({ status: 404, body: { error: 'no recorded run for kernel k' } }));
    await expect(planService.plan('k', { objective: 'balanced', marks })).resolves.toBeNull();
  });

  it("rejects with the companion's reason for a bad request", async () => {
    fakeServer(() => ({
      status: 400,
      body: { error: 'objective must be one of "fast-migrate", "fast-restore", "balanced"' }
    }));
    await expect(planService.plan('k', { objective: 'balanced', marks })).rejects.toMatchObject({
      status: 400,
      fromExtension: true,
      message: 'objective must be one of "fast-migrate", "fast-restore", "balanced"'
    });
  });
});
