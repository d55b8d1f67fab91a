import type { IHistoryGraph } from '@elastic-notebook/protocol';
import { deferred, fakeKernel, FakeBootstrapper, graphOf, settle, wait } from '../../shared/__tests__/modelFakes';
import { HistoryModel } from '../historyModel';
import { IHistoryService } from '../historyService';

/** A history service answering from `answers` (per kernel id) and counting its calls. */
function serviceOf(answers: Record<string, IHistoryGraph | null | Error>): IHistoryService & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    graph: async kernelId => {
      calls.push(kernelId);
      const answer = answers[kernelId];
      if (answer instanceof Error) {
        throw answer;
      }
      return answer ?? null;
    }
  };
}

describe('HistoryModel', () => {
  const k1 = fakeKernel('k1');
  const k2 = fakeKernel('k2');

  it('fetches nothing while hidden and the graph as soon as it is shown', async () => {
    const service = serviceOf({ k1: graphOf('k1', 2) });
    const model = new HistoryModel(new FakeBootstrapper(), service);
    model.setKernel(k1, 'a.ipynb');
    await settle();
    expect(service.calls).toEqual([]);
    let changes = 0;
    model.changed.connect(() => changes++);
    model.visible = true;
    await settle();
    expect(service.calls).toEqual(['k1']);
    expect(model.graph?.executions).toHaveLength(2);
    expect(model.error).toBeNull();
    expect(model.loading).toBe(false);
    expect(changes).toBeGreaterThanOrEqual(2); // loading, then the answer
    expect(model.notebookPath).toBe('a.ipynb');
  });

  it('waits for the agent before the first fetch of a newly shown kernel', async () => {
    const bootstrapper = new FakeBootstrapper();
    const loaded = deferred<void>();
    bootstrapper.hold = loaded.promise;
    const service = serviceOf({ k1: graphOf('k1', 1) });
    const model = new HistoryModel(bootstrapper, service);
    model.visible = true;
    model.setKernel(k1, 'a.ipynb');
    await settle();
    expect(service.calls).toEqual([]);
    expect(model.agentStatus).toBeUndefined();
    loaded.resolve();
    await settle();
    expect(service.calls).toEqual(['k1']);
    expect(model.agentStatus).toEqual({ active: true });
  });

  it('shows no graph and no error when nothing was recorded (the service answers null)', async () => {
    const model = new HistoryModel(new FakeBootstrapper(), serviceOf({ k1: null }));
    model.setKernel(k1);
    model.visible = true;
    await settle();
    expect(model.graph).toBeNull();
    expect(model.error).toBeNull();
  });

  it('keeps the last graph on a failure, says why, and clears the error on the next success', async () => {
    const answers: Record<string, IHistoryGraph | Error> = { k1: graphOf('k1', 3) };
    const model = new HistoryModel(new FakeBootstrapper(), serviceOf(answers));
    model.setKernel(k1);
    model.visible = true;
    await settle();
    answers.k1 = new Error('companion down');
    await model.refresh();
    expect(model.error).toBe('could not load the history: companion down');
    expect(model.graph?.executions).toHaveLength(3);
    answers.k1 = graphOf('k1', 4);
    await model.refresh();
    expect(model.error).toBeNull();
    expect(model.graph?.executions).toHaveLength(4);
  });

  it('keeps only the latest answer when answers arrive out of order', async () => {
    const slow = deferred<IHistoryGraph | null>();
    const fast = deferred<IHistoryGraph | null>();
    const pending = [slow, fast];
    const model = new HistoryModel(new FakeBootstrapper(), { graph: () => pending.shift()!.promise });
    model.setKernel(k1);
    const first = model.refresh();
    const second = model.refresh();
    fast.resolve(graphOf('k1', 5));
    await second;
    slow.resolve(graphOf('k1', 1));
    await first;
    expect(model.graph?.executions).toHaveLength(5);
  });

  it('drops a late answer about the kernel shown before, and forgets its graph at once', async () => {
    const late = deferred<IHistoryGraph | null>();
    const model = new HistoryModel(new FakeBootstrapper(), {
      graph: kernelId => (kernelId === 'k1' ? late.promise : Promise.resolve(graphOf('k2', 1)))
    });
    model.setKernel(k1);
    const fetching = model.refresh();
    model.setKernel(k2);
    expect(model.graph).toBeNull();
    late.resolve(graphOf('k1', 7));
    await fetching;
    expect(model.graph).toBeNull();
    await model.refresh();
    expect(model.graph?.kernelId).toBe('k2');
  });

  it('refetches after a recorded cell of the shown kernel ran, not after cells of other kernels', async () => {
    const bootstrapper = new FakeBootstrapper();
    const service = serviceOf({ k1: graphOf('k1', 1), k2: graphOf('k2', 1) });
    const model = new HistoryModel(bootstrapper, service);
    model.setKernel(k1);
    model.visible = true;
    await settle();
    service.calls.length = 0;
    bootstrapper.notifyExecuted(k2);
    await wait(400);
    expect(service.calls).toEqual([]);
    bootstrapper.notifyExecuted(k1);
    await wait(400);
    expect(service.calls).toEqual(['k1']);
    model.dispose();
  });

  it('does not refetch after cells ran while hidden, nor after it is disposed', async () => {
    const bootstrapper = new FakeBootstrapper();
    const service = serviceOf({ k1: graphOf('k1', 1) });
    const model = new HistoryModel(bootstrapper, service);
    model.setKernel(k1);
    await settle();
    bootstrapper.notifyExecuted(k1);
    await wait(400);
    expect(service.calls).toEqual([]);
    model.dispose();
    expect(model.isDisposed).toBe(true);
    await model.refresh();
    bootstrapper.notifyExecuted(k1);
    expect(service.calls).toEqual([]);
  });
});
