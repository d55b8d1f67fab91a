import type { IHistoryGraph, PlanResponse } from '@elastic-notebook/protocol';
import { HistoryModel } from '../../history/historyModel';
import { NotebookMarks } from '../../marks/marksModel';
import {
  deferred,
  fakeKernel,
  FakeBootstrapper,
  graphOf,
  planAnswer,
  settle,
  wait
} from '../../shared/__tests__/modelFakes';
import { PlanModel } from '../planModel';
import { IPlanRequest, IPlanService } from '../planService';

/** How long the plan's debounce is given in these specs (it waits 400 ms). */
const DEBOUNCED = 550;

interface IPlanCall {
  kernelId: string;
  request: IPlanRequest;
}

/** A plan service answering `answer` (or throwing it) and recording what it was asked. */
function planServiceOf(answer: () => PlanResponse | null | Error): IPlanService & { calls: IPlanCall[] } {
  const calls: IPlanCall[] = [];
  return {
    calls,
    plan: async (kernelId, request) => {
      calls.push({ kernelId, request });
      const value = answer();
      if (value instanceof Error) {
        throw value;
      }
      return value;
    }
  };
}

/** A history model over a fixed graph per kernel, shown, with kernel `k1`. */
async function shownHistory(graphs: Record<string, IHistoryGraph>): Promise<HistoryModel> {
  const history = new HistoryModel(new FakeBootstrapper(), { graph: async id => graphs[id] ?? null });
  history.visible = true;
  history.setKernel(fakeKernel('k1'), 'a.ipynb');
  await settle();
  return history;
}

describe('PlanModel', () => {
  it('plans the shown kernel under the objective and the marks, at once when the objective changes', async () => {
    const history = await shownHistory({ k1: graphOf('k1', 1) });
    const service = planServiceOf(() => planAnswer('k1', 'first'));
    const model = new PlanModel(history, new NotebookMarks(), service);
    model.objective = 'fast-restore';
    await settle();
    expect(service.calls).toEqual([
      {
        kernelId: 'k1',
        request: {
          objective: 'fast-restore',
          marks: { neverRerun: { cellIds: [], cellIndices: [] }, alwaysCopy: [], neverCopy: [] }
        }
      }
    ]);
    expect(model.plan?.feasible === false && model.plan.infeasibility.message).toBe('first');
    expect(model.kernel?.id).toBe('k1');
    model.dispose();
  });

  it('plans again (debounced, once) when the history shows new executions', async () => {
    const graphs = { k1: graphOf('k1', 1) };
    const history = await shownHistory(graphs);
    const service = planServiceOf(() => planAnswer('k1', 'plan'));
    const model = new PlanModel(history, new NotebookMarks(), service);
    await history.refresh();
    await wait(DEBOUNCED);
    const before = service.calls.length;
    expect(before).toBe(1);
    graphs.k1 = graphOf('k1', 2);
    await history.refresh();
    await history.refresh(); // the same graph again: nothing new to plan
    await wait(DEBOUNCED);
    expect(service.calls.length).toBe(before + 1);
    model.dispose();
  });

  it('does not plan while the history is hidden, and plans what changed once it is shown', async () => {
    const graphs = { k1: graphOf('k1', 1) };
    const history = await shownHistory(graphs);
    const service = planServiceOf(() => planAnswer('k1', 'plan'));
    const model = new PlanModel(history, new NotebookMarks(), service);
    history.visible = false;
    graphs.k1 = graphOf('k1', 3);
    await history.refresh();
    await wait(DEBOUNCED);
    expect(service.calls).toEqual([]);
    history.visible = true;
    await wait(DEBOUNCED);
    expect(service.calls.map(call => call.kernelId)).toEqual(['k1']);
    model.dispose();
  });

  it('keeps the last plan when planning fails, with the reason, and shows no plan when nothing was recorded', async () => {
    const history = await shownHistory({ k1: graphOf('k1', 1) });
    let answer: PlanResponse | null | Error = planAnswer('k1', 'kept');
    const model = new PlanModel(
      history,
      new NotebookMarks(),
      planServiceOf(() => answer)
    );
    await model.refresh();
    answer = new Error('solver crashed');
    await model.refresh();
    expect(model.error).toBe('could not plan: solver crashed');
    expect(model.plan?.feasible === false && model.plan.infeasibility.message).toBe('kept');
    answer = null;
    await model.refresh();
    expect(model.plan).toBeNull();
    expect(model.error).toBeNull();
    model.dispose();
  });

  it('forgets the plan when another kernel is shown and drops the late answer about the previous one', async () => {
    const history = await shownHistory({ k1: graphOf('k1', 1), k2: graphOf('k2', 1) });
    const late = deferred<PlanResponse | null>();
    const model = new PlanModel(history, new NotebookMarks(), {
      plan: kernelId => (kernelId === 'k1' ? late.promise : Promise.resolve(planAnswer('k2', 'second kernel')))
    });
    const planning = model.refresh();
    expect(model.loading).toBe(true);
    history.setKernel(fakeKernel('k2'), 'b.ipynb');
    expect(model.kernel?.id).toBe('k2');
    expect(model.plan).toBeNull();
    late.resolve(planAnswer('k1', 'first kernel'));
    await planning;
    expect(model.plan).toBeNull();
    expect(model.loading).toBe(false);
    await model.refresh();
    expect(model.plan?.kernelId).toBe('k2');
    model.dispose();
  });

  it('asks nothing without a kernel', async () => {
    const history = new HistoryModel(new FakeBootstrapper(), { graph: async () => null });
    const service = planServiceOf(() => planAnswer('k1', 'never'));
    const model = new PlanModel(history, new NotebookMarks(), service);
    model.objective = 'fast-migrate';
    await model.refresh();
    expect(service.calls).toEqual([]);
    expect(model.objective).toBe('fast-migrate');
    model.dispose();
  });
});
