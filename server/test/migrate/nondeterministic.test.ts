import { HistoryGraph } from '../../src/ahg/graph';
import { fromGraph, plan } from '../../src/planner/index';
import { record } from '../companion/records';

/** A cheap cell making a large value: recomputing it is far cheaper than copying it, unless it cannot be replayed. */
function session(nondeterministic: boolean): HistoryGraph {
  const graph = new HistoryGraph();
  graph.add(
    record(0, {
      code: 'rng = np.random.default_rng()\nbig = rng.random(10_000_000)',
      writes: ['big', 'rng'],
      groups: [['big'], ['rng']],
      durationMs: 1,
      variables: { big: { size: 80e6, serializable: true }, rng: { size: 1000, serializable: true } },
      ...(nondeterministic ? { nondeterministic: true } : {})
    })
  );
  return graph;
}

describe('executions that draw fresh OS entropy', () => {
  test('are never re-run: their results are copied', () => {
    const replayable = plan(fromGraph(session(false), { objective: 'balanced' }));
    expect(replayable.feasible && replayable.rerun).toEqual([0]);
    const fresh = plan(fromGraph(session(true), { objective: 'balanced' }));
    expect(fresh.feasible).toBe(true);
    if (fresh.feasible) {
      expect(fresh.rerun).toEqual([]);
      expect(fresh.copy).toEqual(['big', 'rng']);
      const explained = fresh.groups.find(g => g.members.includes('big'))!;
      expect(explained.recomputable).toBe(false);
    }
  });

  test('a value they made that cannot be copied is reported with what to do', () => {
    const graph = new HistoryGraph();
    graph.add(
      record(0, {
        code: 'rng = np.random.default_rng()',
        writes: ['gen'],
        groups: [['gen']],
        variables: { gen: { serializable: false } },
        nondeterministic: true
      })
    );
    const result = plan(fromGraph(graph, { objective: 'balanced' }));
    expect(result.feasible).toBe(false);
    if (!result.feasible) {
      expect(result.infeasibility.message).toMatch(/draws fresh random entropy/);
      expect(result.infeasibility.suggestions.join(' ')).toMatch(/seed the generator/);
    }
  });
});

describe('variables changed in place', () => {
  test('need their old version: recomputing re-runs its producer first', () => {
    const graph = new HistoryGraph();
    graph.add(
      record(0, { writes: ['fig'], groups: [['fig']], durationMs: 1, variables: { fig: { serializable: false } } })
    );
    // Execution 1 touches fig only through shared state (it does not read the name), in place.
    graph.add(record(1, { writes: ['fig', 'other'], modified: ['fig'], groups: [['fig', 'other']], durationMs: 1 }));
    expect(graph.requiredForGroup(['fig', 'other']).executions).toEqual([0, 1]);
    const result = plan(fromGraph(graph, { objective: 'balanced' }));
    expect(result.feasible && result.rerun).toEqual([0, 1]);
  });
});
