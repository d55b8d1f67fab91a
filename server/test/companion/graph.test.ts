import { HistoryGraph } from '../../src/ahg/graph';
import { record, records } from './records';

function build(steps: Parameters<typeof records>[0]): HistoryGraph {
  const graph = new HistoryGraph();
  records(steps).forEach(r => graph.add(r));
  return graph;
}

const versions = (graph: HistoryGraph, name: string) =>
  graph.snapshots.filter(s => s.name === name).map(s => [s.version, s.producedBy, graph.isActive(s.id)]);

const req = (graph: HistoryGraph, name: string) => graph.requiredExecutions([graph.activeSnapshot(name)!.id]);

describe('HistoryGraph', () => {
  test('every write makes a new version; only the latest of a live variable is active', () => {
    const graph = build([
      [[], ['x']],
      [['x'], ['x']],
      [['x'], ['y']]
    ]);
    expect(versions(graph, 'x')).toEqual([
      [0, 0, false],
      [1, 1, true]
    ]);
    expect(versions(graph, 'y')).toEqual([[0, 2, true]]);
    expect(graph.executions[2].inputs.map(id => graph.snapshots[id].version)).toEqual([1]);
  });

  test('a deleted variable has no active snapshot; writing it again revives it', () => {
    const graph = build([
      [[], ['x']],
      [[], [], ['x']],
      [[], ['x']]
    ]);
    expect(versions(graph, 'x')).toEqual([
      [0, 0, false],
      [1, 2, true]
    ]);
    const deleted = build([
      [[], ['x']],
      [[], [], ['x']]
    ]);
    expect(deleted.activeSnapshot('x')).toBeUndefined();
    expect(deleted.activeSnapshots()).toEqual([]);
  });

  test('req of a chain re-runs the producers of non-active inputs only', () => {
    // 0: a = load(); 1: b = f(a); 2: a = g(a) (a's first version is no longer active); 3: c = h(b)
    const graph = build([
      [[], ['a']],
      [['a'], ['b']],
      [['a'], ['a']],
      [['b'], ['c']]
    ]);
    expect(req(graph, 'c')).toEqual({ executions: [3], unresolved: [] }); // b is active: present anyway
    expect(req(graph, 'b')).toEqual({ executions: [0, 1], unresolved: [] }); // needs a@0, not active
    expect(req(graph, 'a')).toEqual({ executions: [0, 2], unresolved: [] });
  });

  test('req through a diamond lists each execution once, in order', () => {
    const graph = build([
      [[], ['s']],
      [['s'], ['l']],
      [['s'], ['r']],
      [['l', 'r'], ['t']],
      [[], [], ['s', 'l', 'r']]
    ]);
    expect(req(graph, 't')).toEqual({ executions: [0, 1, 2, 3], unresolved: [] });
  });

  test('re-executions of the same cell chain their versions', () => {
    const graph = build([
      [[], ['n']],
      [['n'], ['n']],
      [['n'], ['n']],
      [['n'], ['n']]
    ]);
    expect(req(graph, 'n')).toEqual({ executions: [0, 1, 2, 3], unresolved: [] });
    expect(graph.activeSnapshot('n')!.version).toBe(3);
  });

  test('a value from outside the recorded history cannot be recomputed', () => {
    const graph = new HistoryGraph();
    graph.add(record(0, { reads: ['ext'], writes: ['y'], groups: [['ext'], ['y']] }));
    graph.add(record(1, { reads: [], writes: ['ext'], groups: [['ext'], ['y']] }));
    expect(req(graph, 'y')).toEqual({ executions: [0], unresolved: [0] });
    const ext0 = graph.snapshots.find(s => s.name === 'ext' && s.version === 0)!;
    expect(ext0.producedBy).toBeNull();
  });

  test('an external value that stays live is an active input: present anyway, nothing unresolved', () => {
    const graph = new HistoryGraph();
    graph.add(record(0, { reads: ['ext'], writes: ['y'], groups: [['ext'], ['y']] }));
    expect(versions(graph, 'ext')).toEqual([[0, null, true]]);
    expect(req(graph, 'y')).toEqual({ executions: [0], unresolved: [] });
    expect(req(graph, 'ext')).toEqual({ executions: [], unresolved: [graph.activeSnapshot('ext')!.id] });
  });

  test('reading a deleted name means an unrecorded execution made it again: a new external version', () => {
    const graph = build([
      [[], ['x']],
      [[], [], ['x']],
      [['x'], ['y'], [], [['x'], ['y']]]
    ]);
    expect(versions(graph, 'x')).toEqual([
      [0, 0, false],
      [1, null, true]
    ]);
    expect(req(graph, 'y')).toEqual({ executions: [2], unresolved: [] });
  });

  test('variables listed in groups but never written come from outside; unlisted ones are gone', () => {
    const graph = new HistoryGraph();
    graph.add(record(0, { writes: ['a'], groups: [['a'], ['hidden']] }));
    expect(graph.activeSnapshot('hidden')!.producedBy).toBeNull();
    graph.add(record(1, { groups: [['hidden']] }));
    expect(graph.activeSnapshot('a')).toBeUndefined();
  });

  test('a later record changes the answer of req (nothing is cached)', () => {
    const graph = build([
      [[], ['a']],
      [['a'], ['b']]
    ]);
    expect(req(graph, 'b')).toEqual({ executions: [1], unresolved: [] });
    graph.add(record(2, { reads: ['a'], writes: ['a'], groups: [['a'], ['b']] }));
    expect(req(graph, 'b')).toEqual({ executions: [0, 1], unresolved: [] });
  });

  test('groups come from the latest record; requiredForGroup unions its members', () => {
    const graph = new HistoryGraph();
    graph.add(record(0, { writes: ['l'], groups: [['l']] }));
    graph.add(record(1, { reads: ['l'], writes: ['alias'], groups: [['alias', 'l']] }));
    expect(graph.groups).toEqual([['alias', 'l']]);
    expect(graph.requiredForGroup(['l', 'alias'])).toEqual({ executions: [0, 1], unresolved: [] });
    expect(() => graph.requiredForGroup(['nope'])).toThrow('nope is not an active variable');
  });

  test('records must arrive in seq order', () => {
    const graph = new HistoryGraph();
    expect(() => graph.add(record(1))).toThrow('record seq 1 out of order: expected 0');
  });

  test('toJSON has the documented fields', () => {
    const graph = build([
      [[], ['x']],
      [['x'], ['y']]
    ]);
    const json = graph.toJSON('k', 'r');
    expect(json.executions[1]).toMatchObject({
      index: 1,
      cellIndex: 1,
      reads: ['x'],
      writes: ['y'],
      deletes: [],
      error: null
    });
    expect(json.executions[1].inputs).toEqual([{ name: 'x', version: 0 }]);
    expect(json.variables).toEqual([
      { name: 'x', version: 0, producedBy: 0, active: true, info: null },
      { name: 'y', version: 0, producedBy: 1, active: true, info: null }
    ]);
    expect(json.groups).toEqual([['x'], ['y']]);
  });

  test('20,000 appended records keep exact versions and inputs (speed is measured by benchmarks)', () => {
    const graph = new HistoryGraph();
    const names = Array.from({ length: 50 }, (_, i) => `v${i}`);
    const groups = names.map(n => [n]);
    for (let seq = 0; seq < 20_000; seq++) {
      graph.add(record(seq, { reads: [names[(seq + 49) % 50]], writes: [names[seq % 50]], groups }));
    }
    expect(graph.size).toBe(20_000);
    expect(graph.activeSnapshot('v0')!.version).toBe(399);
    // Execution 50 read v49 as written by execution 49.
    expect(graph.snapshots[graph.executions[50].inputs[0]].producedBy).toBe(49);
  });
});
