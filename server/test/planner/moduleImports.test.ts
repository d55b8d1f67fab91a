import { HistoryGraph } from '../../src/ahg/graph';
import { fromGraph, plan } from '../../src/planner/index';
import { executionRecordSchema } from '../../src/schemas';
import { record } from '../companion/records';

/**
 * `import time` then a slow computation in one cell, and a tiny result: copying the result and
 * the module is cheapest, unless re-importing the module is priced as the whole cell.
 */
function session(modulesLoaded: number | undefined): HistoryGraph {
  const graph = new HistoryGraph();
  graph.add(
    record(0, {
      code: 'import time\ntime.sleep(0.4)\nmodel = {"weights": [1, 2, 3]}',
      writes: ['model', 'time'],
      groups: [['model'], ['time']],
      durationMs: 400,
      variables: { model: { type: 'builtins.dict', size: 10, serializable: true }, time: { type: 'builtins.module', size: 0, serializable: true } },
      ...(modulesLoaded === undefined ? {} : { modulesLoaded })
    })
  );
  return graph;
}

describe('re-importing a copied module', () => {
  test('costs nothing when the importing cell loaded no module (it was loaded already)', () => {
    const input = fromGraph(session(undefined), { objective: 'balanced' });
    expect(input.groups.find(g => g.members.includes('time'))!.importMs).toBeUndefined();
    const result = plan(input);
    expect(result.feasible && result.copy).toEqual(['model', 'time']);
    expect(result.feasible && result.rerun).toEqual([]);
  });

  test('costs what the importing cell took when it loaded modules', () => {
    const input = fromGraph(session(12), { objective: 'balanced' });
    expect(input.groups.find(g => g.members.includes('time'))!.importMs).toBe(400);
    const result = plan(input);
    // Re-running the cell imports the module and rebuilds the model for the same price.
    expect(result.feasible && result.rerun).toEqual([0]);
  });

  test('the agent-reported count is validated', () => {
    expect(executionRecordSchema.safeParse(record(0, { modulesLoaded: 3 })).success).toBe(true);
    expect(executionRecordSchema.safeParse(record(0, { modulesLoaded: -1 })).success).toBe(false);
    expect(executionRecordSchema.safeParse({ ...record(0), modulesLoaded: 'many' }).success).toBe(false);
  });
});
