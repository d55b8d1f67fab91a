/**
 * The planner on hand-made sessions recorded into a real HistoryGraph: marks, linked groups,
 * unserializable values, infeasibility reports, explanations, baselines, objectives, and a second
 * plan after more cells.
 */
import fc from 'fast-check';
import { HistoryGraph, IExecutionRecord } from '../../src/ahg/index';
import { fromGraph, IFeasiblePlan, IFromGraphOptions, IInfeasiblePlan, plan, Plan } from '../../src/planner/index';
import { FLAT, graphOf, sessionArb } from './helpers';

const MB = 1e6;

interface ICell {
  reads?: string[];
  writes?: string[];
  deletes?: string[];
  ms: number;
  cell?: number;
  sizes?: Record<string, number>;
  unserializable?: string[];
  /** Linked groups among live variables after this cell (others are singletons). */
  links?: string[][];
}

/** Record a notebook run cell by cell; groups list every live variable as the agent does. */
function record(cells: ICell[], graph = new HistoryGraph()): HistoryGraph {
  const live = new Set<string>(graph.activeSnapshots().map(s => s.name));
  for (const c of cells) {
    const writes = c.writes ?? [];
    writes.forEach(n => live.add(n));
    (c.deletes ?? []).forEach(n => live.delete(n));
    const linked = c.links ?? [];
    const inLinks = new Set(linked.flat());
    const groups = [...linked, ...[...live].filter(n => !inLinks.has(n)).map(n => [n])];
    const variables: IExecutionRecord['variables'] = {};
    for (const n of writes) {
      variables[n] = {
        type: 'object',
        size: c.sizes?.[n] ?? 1000,
        serializable: !(c.unserializable ?? []).includes(n)
      };
    }
    graph.add({
      seq: graph.size,
      cellIndex: c.cell ?? graph.size,
      cellId: `id-${c.cell ?? graph.size}`,
      executionCount: graph.size + 1,
      code: '',
      startedAtMs: 0,
      durationMs: c.ms,
      error: null,
      reads: c.reads ?? [],
      writes,
      deletes: c.deletes ?? [],
      groups,
      variables
    });
  }
  return graph;
}

function planOf(graph: HistoryGraph, options: Partial<IFromGraphOptions> = {}): Plan {
  return plan(fromGraph(graph, { objective: 'balanced', measurements: FLAT, ...options }));
}

function feasible(result: Plan): IFeasiblePlan {
  if (!result.feasible) {
    throw new Error(`expected a feasible plan: ${result.infeasibility.message}`);
  }
  return result;
}

function infeasible(result: Plan): IInfeasiblePlan {
  if (result.feasible) {
    throw new Error(`expected no feasible plan, got copy ${result.copy} rerun ${result.rerun}`);
  }
  return result;
}

describe('plan: decisions', () => {
  it('copies what is expensive to recompute and recomputes what is cheap, with explained costs', () => {
    const graph = record([
      { writes: ['df'], ms: 60_000, sizes: { df: 100 * MB } }, // 4 s to copy, 60 s to re-run
      { reads: ['df'], writes: ['small'], ms: 5, sizes: { small: 100 * MB } } // 4 s to copy, 5 ms to re-run
    ]);
    const result = feasible(planOf(graph));
    expect(result.copy).toEqual(['df']);
    expect(result.rerun).toEqual([1]);
    expect(result.groups).toEqual([
      expect.objectContaining({
        members: ['df'],
        decision: 'copy',
        copyCostMs: 4000,
        recomputeCostMs: 60_000,
        requiredExecutions: 1
      }),
      expect.objectContaining({
        members: ['small'],
        decision: 'recompute',
        copyCostMs: 4000,
        recomputeCostMs: 5,
        requiredExecutions: 1
      })
    ]);
    const fixed = { migrateMs: 0, restoreMs: 0 };
    expect(result.estimate).toEqual({ migrateMs: 2000, restoreMs: 2005, totalMs: 4005, objectiveCost: 4005, fixed });
    expect(result.baselines.copyAll).toEqual({
      feasible: true,
      migrateMs: 4000,
      restoreMs: 4000,
      totalMs: 8000,
      objectiveCost: 8000,
      fixed
    });
    expect(result.baselines.recomputeAll).toEqual({
      feasible: true,
      migrateMs: 0,
      restoreMs: 60_005,
      totalMs: 60_005,
      objectiveCost: 60_005,
      fixed
    });
    expect(result.costModel.measured).toEqual(expect.arrayContaining(['serializeBytesPerSec', 'payloadLatencyMs']));
    expect(result.costModel.measured).not.toContain('targetSpeed');
  });

  it('recomputes a shared prefix once when several variables need it (min cut, not per-variable greed)', () => {
    // Each of a, b, c alone: copy 4 s < re-run 3 s + 2 s. Together: re-run 3 s + 3 x 2 s = 9 s < 12 s.
    const cells: ICell[] = [{ writes: ['tmp'], ms: 3000 }];
    for (const name of ['a', 'b', 'c']) {
      cells.push({ reads: ['tmp'], writes: [name], ms: 2000, sizes: { [name]: 100 * MB } });
    }
    cells.push({ deletes: ['tmp'], ms: 1 });
    const result = feasible(planOf(record(cells)));
    expect(result.copy).toEqual([]);
    expect(result.rerun).toEqual([0, 1, 2, 3]);
    expect(result.estimate.totalMs).toBe(9000);
    for (const group of result.groups) {
      expect(group.recomputeCostMs).toBe(5000);
      expect(group.copyCostMs).toBe(4000);
      expect(group.reason).toMatch(/together with the groups/);
    }
  });

  it('weighs migration and restoration by objective', () => {
    // Copy: 2 s out, 2 s in. Re-run: 3 s on the target.
    const graph = record([{ writes: ['m'], ms: 3000, sizes: { m: 100 * MB } }]);
    expect(feasible(planOf(graph, { objective: 'fast-migrate' })).copy).toEqual([]);
    expect(feasible(planOf(graph, { objective: 'fast-restore' })).copy).toEqual(['m']);
    expect(feasible(planOf(graph, { objective: 'balanced' })).copy).toEqual([]);
    const restore = feasible(planOf(graph, { objective: 'fast-restore' }));
    expect(restore.estimate.objectiveCost).toBeCloseTo(0.1 * 2000 + 2000, 6);
  });

  it('scales re-run time by the target speed', () => {
    const graph = record([{ writes: ['m'], ms: 6000, sizes: { m: 100 * MB } }]);
    expect(feasible(planOf(graph)).copy).toEqual(['m']);
    const fast = feasible(planOf(graph, { measurements: { ...FLAT, targetSpeed: 2 } }));
    expect(fast.copy).toEqual([]);
    expect(fast.groups[0].recomputeCostMs).toBe(3000);
  });

  it('never splits a linked group: its members share one decision', () => {
    // x is cheap to recompute, y expensive; they share an object, so both are copied.
    const graph = record([
      { writes: ['x'], ms: 1, sizes: { x: 10 * MB } },
      { reads: ['x'], writes: ['y'], ms: 100_000, sizes: { y: 10 * MB }, links: [['x', 'y']] }
    ]);
    const result = feasible(planOf(graph));
    expect(result.groups).toHaveLength(1);
    expect(result.groups[0].members).toEqual(['x', 'y']);
    expect(result.copy).toEqual(['x', 'y']);
    expect(result.rerun).toEqual([]);
  });

  it('never splits linked groups and never copies unserializable variables (random sessions)', () => {
    fc.assert(
      fc.property(sessionArb(14, 6), session => {
        const graph = graphOf(session.records);
        const result = plan(
          fromGraph(graph, { objective: session.objective, marks: session.marks, measurements: session.measurements })
        );
        if (!result.feasible) {
          return;
        }
        const copied = new Set(result.copy);
        for (const group of graph.groups) {
          const active = group.filter(n => graph.activeSnapshot(n));
          expect(new Set(active.map(n => copied.has(n))).size).toBeLessThanOrEqual(1);
        }
        for (const snapshot of graph.activeSnapshots()) {
          if (snapshot.info?.serializable === false || session.marks.neverCopy.includes(snapshot.name)) {
            expect(copied.has(snapshot.name)).toBe(false);
          }
          if (session.marks.alwaysCopy.includes(snapshot.name)) {
            expect(copied.has(snapshot.name)).toBe(true);
          }
        }
        for (const e of result.rerun) {
          const execution = graph.executions[e];
          const marked =
            session.marks.neverRerun.cellIndices.includes(execution.cellIndex as number) ||
            session.marks.neverRerun.cellIds.includes(execution.cellId as string);
          expect(marked).toBe(false);
        }
      }),
      { numRuns: 1500 }
    );
  });

  it('recomputes an unserializable variable even when copying would be cheaper', () => {
    const graph = record([{ writes: ['gen'], ms: 50_000, sizes: { gen: 10 }, unserializable: ['gen'] }]);
    const result = feasible(planOf(graph));
    expect(result.copy).toEqual([]);
    expect(result.rerun).toEqual([0]);
    expect(result.groups[0]).toEqual(
      expect.objectContaining({ decision: 'recompute', copyCostMs: null, recomputeCostMs: 50_000 })
    );
    expect(result.groups[0].reason).toBe("'gen' cannot be serialized");
    expect(result.baselines.copyAll).toEqual({ feasible: false, reason: "'gen' cannot be copied (unserializable)" });
  });

  it('never re-runs a cell marked "never re-run": what depends on it is copied', () => {
    const graph = record([
      { writes: ['raw'], ms: 1, cell: 0, sizes: { raw: 100 * MB } }, // sends an e-mail, say
      { reads: ['raw'], writes: ['raw'], ms: 1, cell: 1, sizes: { raw: 100 * MB } },
      { reads: ['raw'], writes: ['report'], ms: 1, cell: 2, sizes: { report: 900 * MB } }
    ]);
    const free = feasible(planOf(graph));
    expect(free.copy).toEqual([]);
    const marked = feasible(planOf(graph, { marks: { neverRerun: { cellIds: ['id-0'] } } }));
    expect(marked.copy).toEqual(['raw']);
    expect(marked.rerun).toEqual([2]);
    // raw v1 is copied, so re-running cell 2 needs nothing before it; cell 0 is never re-run.
    const byIndex = feasible(planOf(graph, { marks: { neverRerun: { cellIndices: [1] } } }));
    expect(byIndex.copy).toEqual(['raw']);
    expect(byIndex.rerun).not.toContain(1);
    expect(byIndex.groups[0].reason).toBe('cannot be recomputed: execution 1 (cell 1) is marked "never re-run"');
    expect(byIndex.baselines.recomputeAll).toEqual({
      feasible: false,
      reason: 'execution 1 (cell 1) is marked "never re-run"'
    });
  });

  it('always copies a variable marked "always copy", never copies one marked "never copy"', () => {
    const graph = record([
      { writes: ['cheap'], ms: 1, sizes: { cheap: 500 * MB } },
      { writes: ['costly'], ms: 100_000, sizes: { costly: 1 * MB } }
    ]);
    const result = feasible(planOf(graph, { marks: { alwaysCopy: ['cheap'], neverCopy: ['costly'] } }));
    expect(result.copy).toEqual(['cheap']);
    expect(result.rerun).toEqual([1]);
    expect(result.groups.map(g => g.reason)).toEqual([
      'marked "always copy" (\'cheap\')',
      'marked "never copy" (\'costly\')'
    ]);
  });

  it('copies variables that came from outside the recorded history', () => {
    const graph = record([{ writes: ['x'], ms: 5, sizes: { x: 100 * MB } }]);
    // An unrecorded cell defined `secret`; the next record lists it among the live variables.
    graph.add({
      seq: 1,
      code: 'print(x)',
      startedAtMs: 0,
      durationMs: 1,
      error: null,
      reads: ['x'],
      writes: [],
      deletes: [],
      groups: [['x'], ['secret']]
    });
    const result = feasible(planOf(graph));
    expect(result.copy).toEqual(['secret']);
    expect(result.groups.find(g => g.members[0] === 'secret')?.reason).toMatch(/outside the recorded history/);
    expect(result.baselines.recomputeAll).toEqual({
      feasible: false,
      reason: "'secret' came from outside the recorded history"
    });
  });
});

describe('plan: infeasibility', () => {
  it('names the variable, the blocking execution and what to do', () => {
    const graph = record([
      { writes: ['conn'], ms: 10, cell: 0, unserializable: ['conn'] },
      { reads: ['conn'], writes: ['rows'], ms: 10, cell: 1 }
    ]);
    const result = infeasible(planOf(graph, { marks: { neverRerun: { cellIndices: [0] } } }));
    expect(result.infeasibility.variables).toEqual(['conn']);
    expect(result.infeasibility.executions).toEqual([0]);
    expect(result.infeasibility.message).toBe(
      "No checkpoint plan can restore this session: 'conn' can be neither copied ('conn' cannot be serialized) " +
        'nor recomputed (execution 0 (cell 0) is marked "never re-run").'
    );
    expect(result.infeasibility.suggestions).toEqual([
      'delete the variable before checkpointing: del conn',
      'unmark cell 0 ("never re-run") if re-running it is safe'
    ]);
  });

  it('reports the execution at the root of the history, not the whole chain', () => {
    // gen is built from a chain whose first cell read a value no recorded cell produced.
    const graph = new HistoryGraph();
    const base = {
      cellId: null,
      executionCount: null,
      code: '',
      startedAtMs: 0,
      error: null,
      deletes: [],
      variables: {}
    };
    graph.add({ ...base, seq: 0, cellIndex: 0, durationMs: 1, reads: ['token'], writes: ['s'], groups: [['s']] });
    graph.add({ ...base, seq: 1, cellIndex: 1, durationMs: 1, reads: ['s'], writes: ['s'], groups: [['s']] });
    graph.add({
      ...base,
      seq: 2,
      cellIndex: 2,
      durationMs: 1,
      reads: ['s'],
      writes: ['gen'],
      groups: [['gen'], ['s']],
      variables: { gen: { size: 10, serializable: false } }
    });
    // s is deleted, so gen's history reaches back through both versions of s to cell 0.
    graph.add({
      ...base,
      seq: 3,
      cellIndex: 3,
      durationMs: 1,
      reads: [],
      writes: [],
      deletes: ['s'],
      groups: [['gen']]
    });
    const result = infeasible(planOf(graph));
    expect(result.infeasibility.variables).toEqual(['gen']);
    expect(result.infeasibility.executions).toEqual([0]);
    expect(result.infeasibility.message).toContain(
      "execution 0 (cell 0) read 'token', which no recorded execution produced"
    );
    expect(result.infeasibility.suggestions).toContain(
      "define 'token' in a recorded cell and re-run the cells that use it"
    );
  });

  it('lists every stuck group, with "never copy" and failed replays as causes', () => {
    const graph = record([
      { writes: ['a'], ms: 1, cell: 0 },
      { writes: ['b'], ms: 1, cell: 1 },
      { writes: ['ok'], ms: 1, cell: 2 }
    ]);
    const result = infeasible(planOf(graph, { marks: { neverCopy: ['a', 'b'] }, failedReplays: [0, 1] }));
    expect(result.infeasibility.variables).toEqual(['a', 'b']);
    expect(result.infeasibility.executions).toEqual([0, 1]);
    expect(result.infeasibility.suggestions).toEqual([
      'delete the variables before checkpointing: del a, b',
      'remove the "never copy" mark from \'a\'',
      'fix execution 0 (cell 0) so that it replays, then checkpoint again',
      'remove the "never copy" mark from \'b\'',
      'fix execution 1 (cell 1) so that it replays, then checkpoint again'
    ]);
  });

  it('becomes feasible once the user follows a suggestion (delete the variable)', () => {
    const graph = record([{ writes: ['lock'], ms: 1, cell: 0, unserializable: ['lock'] }]);
    expect(planOf(graph, { marks: { neverRerun: { cellIndices: [0] } } }).feasible).toBe(false);
    record([{ deletes: ['lock'], ms: 1, cell: 1 }], graph);
    const result = feasible(planOf(graph, { marks: { neverRerun: { cellIndices: [0] } } }));
    expect(result.copy).toEqual([]);
    expect(result.rerun).toEqual([]);
  });
});

describe('plan: successive checkpoints', () => {
  it('plans a second checkpoint after more cells exactly as a fresh graph would', () => {
    fc.assert(
      fc.property(sessionArb(16, 6), fc.nat(), (session, cut) => {
        const split = 1 + (cut % session.records.length);
        const options = { objective: session.objective, marks: session.marks, measurements: session.measurements };
        const graph = graphOf(session.records.slice(0, split));
        const first = plan(fromGraph(graph, options));
        const firstCopy = JSON.stringify(first);
        session.records.slice(split).forEach(r => graph.add(r));
        const second = plan(fromGraph(graph, options));
        const fresh = plan(fromGraph(graphOf(session.records), options));
        const strip = (p: Plan) => ({ ...p, planMs: 0 });
        expect(strip(second)).toEqual(strip(fresh));
        // The first plan is a value: later records do not change it.
        expect(JSON.stringify(first)).toBe(firstCopy);
      }),
      { numRuns: 500 }
    );
  });

  it('re-plans when a variable is rebound: the old version no longer counts', () => {
    const graph = record([
      { writes: ['model'], ms: 100_000, sizes: { model: 1 * MB } },
      { reads: ['model'], writes: ['score'], ms: 1, sizes: { score: 100 * MB } }
    ]);
    const first = feasible(planOf(graph));
    expect(first.copy).toEqual(['model']);
    expect(first.rerun).toEqual([1]);
    record([{ writes: ['model'], ms: 2, sizes: { model: 100 * MB } }], graph);
    const second = feasible(planOf(graph));
    // The new model is cheap to recompute; score now needs the expensive old one re-run, or a copy.
    expect(second.copy).toEqual(['score']);
    expect(second.rerun).toEqual([2]);
    expect(second.groups.find(g => g.members[0] === 'score')?.recomputeCostMs).toBe(100_001);
  });
});

describe('plan: bad input', () => {
  it('rejects contradictory or malformed marks precisely', () => {
    const graph = record([{ writes: ['x'], ms: 1 }]);
    expect(() => planOf(graph, { marks: { alwaysCopy: ['x'], neverCopy: ['x'] } })).toThrow(
      'marks.alwaysCopy: variable \'x\' is marked both "always copy" and "never copy"; remove one of the marks'
    );
    expect(() => planOf(graph, { marks: { neverRerun: { cellIndices: [-1] } } })).toThrow(
      /^marks\.neverRerun\.cellIndices\.0: /
    );
    expect(() => planOf(graph, { marks: { alwaysCopy: 'x' } })).toThrow(/^marks\.alwaysCopy: /);
    expect(() => planOf(graph, { marks: { typo: [] } })).toThrow(/marks: .*typo/);
  });

  it('rejects bad measurements and objectives precisely', () => {
    const graph = record([{ writes: ['x'], ms: 1 }]);
    expect(() => planOf(graph, { measurements: { writeBytesPerSec: 0 } })).toThrow(/^cost model: writeBytesPerSec: /);
    expect(() => planOf(graph, { measurements: { weights: { migrate: 0, restore: 0 } } })).toThrow(
      'weights cannot both be 0'
    );
    expect(() => planOf(graph, { objective: 'fastest' as never })).toThrow("unknown objective 'fastest'");
  });

  it('rejects inputs that break graph invariants, naming the element', () => {
    const input = fromGraph(
      record([
        { writes: ['x'], ms: 1 },
        { reads: ['x'], writes: ['x'], ms: 1 }
      ]),
      {
        objective: 'balanced'
      }
    );
    const broken = {
      ...input,
      executions: input.executions.map(e => ({ ...e, depends: e.index === 0 ? [1] : e.depends }))
    };
    expect(() => plan(broken)).toThrow('executions[0].depends contains 1, which is not an earlier execution');
    const overlap = { ...input, groups: [...input.groups, { ...input.groups[0] }] };
    expect(() => plan(overlap)).toThrow("variable 'x' is in groups[0] and groups[1]; linked groups must not overlap");
    const negative = { ...input, executions: input.executions.map(e => ({ ...e, durationMs: -1 })) };
    expect(() => plan(negative)).toThrow('executions[0].durationMs must be a finite number >= 0, got -1');
  });
});
