/**
 * Unit tests of the planner's parts: cost formulas, marks, and the
 * explanation's work budget on a graph whose histories overlap quadratically.
 */
import {
  capacities,
  changeMarks,
  compactNetwork,
  copyMigrateMs,
  copyRestoreMs,
  costModel,
  decisionCost,
  IPlannerInput,
  minCut,
  noMarks,
  parseMarks,
  plan,
  rerunMs,
  SINK,
  SOURCE,
  toUnits
} from '../../src/planner/index';

describe('costModel', () => {
  it('prices copies and re-runs by the documented formulas', () => {
    const model = costModel('balanced', {
      serializeBytesPerSec: 100e6,
      writeBytesPerSec: 50e6,
      readBytesPerSec: 200e6,
      deserializeBytesPerSec: 400e6,
      payloadLatencyMs: 3,
      targetSpeed: 4
    });
    expect(copyMigrateMs(model, 100e6)).toBe(1000 + 2000 + 3);
    expect(copyRestoreMs(model, 100e6)).toBe(500 + 250 + 3);
    // A re-run also pays the fixed cost of one execution request (the default until measured).
    expect(model.rerunLatencyMs).toBe(3);
    expect(rerunMs(model, 1000)).toBe(3 + 250);
    expect(model.measured.sort()).toEqual(
      [
        'deserializeBytesPerSec',
        'payloadLatencyMs',
        'readBytesPerSec',
        'serializeBytesPerSec',
        'targetSpeed',
        'writeBytesPerSec'
      ].sort()
    );
  });

  it('uses the objective weights unless measured weights are given', () => {
    expect(costModel('fast-migrate').weights).toEqual({ migrate: 1, restore: 0.1 });
    expect(costModel('fast-restore').weights).toEqual({ migrate: 0.1, restore: 1 });
    expect(costModel('balanced', { weights: { migrate: 2, restore: 3 } }).weights).toEqual({ migrate: 2, restore: 3 });
    expect(costModel('balanced').measured).toEqual([]);
  });

  it('turns costs into integer microsecond capacities, keeping infinity', () => {
    expect(toUnits(1.23456)).toBe(1235);
    expect(toUnits(Infinity)).toBe(Infinity);
  });
});

describe('marks', () => {
  it('fills defaults and applies changes without touching the input', () => {
    const marks = parseMarks({ alwaysCopy: ['x'] });
    expect(marks).toEqual({ neverRerun: { cellIds: [], cellIndices: [] }, alwaysCopy: ['x'], neverCopy: [] });
    const changed = changeMarks(marks, { kind: 'never-copy', variable: 'x', on: true });
    expect(changed.neverCopy).toEqual(['x']);
    expect(changed.alwaysCopy).toEqual([]);
    expect(marks.alwaysCopy).toEqual(['x']);
    const cell = changeMarks(noMarks(), { kind: 'never-rerun', cellId: 'c1', on: true });
    expect(cell.neverRerun.cellIds).toEqual(['c1']);
    expect(changeMarks(cell, { kind: 'never-rerun', cellId: 'c1', on: false }).neverRerun.cellIds).toEqual([]);
    expect(() => changeMarks(cell, { kind: 'never-rerun', on: true })).toThrow('needs a cellId or a cellIndex');
  });
});

// ThroughputMeter: see measurements.test.ts.

describe('plan on overlapping histories', () => {
  /** A chain of `n` executions; every execution also produces a kept result needing the chain. */
  function chainWithResults(n: number): IPlannerInput {
    return {
      objective: 'balanced',
      costModel: costModel('balanced', { payloadLatencyMs: 0, rerunLatencyMs: 0 }),
      executions: Array.from({ length: n }, (_, i) => ({
        index: i,
        cellIndex: i % 10,
        cellId: null,
        durationMs: 1 + (i % 13),
        depends: i > 0 ? [i - 1] : [],
        unresolvedInputs: [],
        neverRerun: false,
        replayFailed: false
      })),
      groups: Array.from({ length: n }, (_, i) => ({
        members: [`r${i}`],
        sizeBytes: (i * 7919) % 50_000_000,
        unserializable: [],
        producers: [i],
        external: [],
        neverCopy: [],
        alwaysCopy: []
      }))
    };
  }

  it('stays optimal and says which groups it did not price alone when req(g) overlap quadratically', () => {
    const input = chainWithResults(3000); // sum of |req(g)| is 4.5 million
    const result = plan(input);
    if (!result.feasible) {
      throw new Error('expected a plan');
    }
    const caps = capacities(input);
    const copied = result.groups.flatMap((g, i) => (g.decision === 'copy' ? [i] : []));
    expect(decisionCost(caps, copied, result.rerun)).toBe(minCut(compactNetwork(input, caps), SOURCE, SINK).value);
    const unpriced = result.groups.filter(g => g.recomputeCostMs === null);
    expect(unpriced.length).toBeGreaterThan(0);
    expect(unpriced.every(g => g.recomputable && g.requiredExecutions === null)).toBe(true);
    expect(result.notes).toEqual([expect.stringContaining(`of ${unpriced.length} group(s) was not priced`)]);
    // Early groups (short histories) are priced exactly.
    expect(result.groups[2]).toEqual(expect.objectContaining({ recomputeCostMs: 1 + 2 + 3, requiredExecutions: 3 }));
  });

  it('prices every group on ordinary sizes', () => {
    const result = plan(chainWithResults(300));
    expect(result.feasible && result.notes).toEqual([]);
    expect(result.feasible && result.groups.every(g => g.recomputeCostMs !== null)).toBe(true);
  });
});
