/**
 * A migration's plan priced for its target (issue 11): copying a group also sends its bytes at
 * the bandwidth to the target, and re-running a cell there takes its recorded time over the
 * target's CPU speed relative to this machine. A slower link flips a group from copy to
 * recompute; a slower target CPU flips it back.
 */
import { HistoryGraph } from '../../src/ahg/index';
import { fromGraph, IFeasiblePlan, overrideMeasurements, plan } from '../../src/planner/index';
import { pricingMeasurements } from '../../src/transfer/targetPricing';
import { FLAT } from './helpers';

const MB = 1e6;

/** One cell that ran `ms` and left a 100 MB variable `m`. */
function session(ms: number): HistoryGraph {
  const graph = new HistoryGraph();
  graph.add({
    seq: 0,
    cellIndex: 0,
    cellId: 'id-0',
    executionCount: 1,
    code: 'm = simulate()',
    startedAtMs: 0,
    durationMs: ms,
    error: null,
    reads: [],
    writes: ['m'],
    deletes: [],
    groups: [['m']],
    variables: { m: { type: 'object', size: 100 * MB, serializable: true } }
  });
  return graph;
}

/** The balanced plan of `graph` priced for a target with `pricing`. */
function planFor(
  graph: HistoryGraph,
  pricing: { bandwidthBytesPerS: number | null; cpuRatio: number | null }
): IFeasiblePlan {
  const measurements = overrideMeasurements(
    FLAT,
    pricingMeasurements({ ...pricing, bandwidthSource: 'given', cpuSource: 'given' })
  );
  const result = plan(fromGraph(graph, { objective: 'balanced', measurements }));
  if (!result.feasible) {
    throw new Error(result.infeasibility.message);
  }
  return result;
}

describe('a plan priced for the target', () => {
  it('copies over a fast link and recomputes over a slow one (6 s cell, 100 MB)', () => {
    const graph = session(6000);
    // 1 Gbit/s: 4 s + 0.8 s to send < 6 s to re-run.
    const fast = planFor(graph, { bandwidthBytesPerS: 125e6, cpuRatio: 1 });
    expect(fast.copy).toEqual(['m']);
    expect(fast.groups[0].copyCostMs).toBeCloseTo(4800, 3);
    // 100 Mbit/s: 4 s + 8 s to send > 6 s.
    const slow = planFor(graph, { bandwidthBytesPerS: 12.5e6, cpuRatio: 1 });
    expect(slow.copy).toEqual([]);
    expect(slow.rerun).toEqual([0]);
    expect(slow.groups[0].copyCostMs).toBeCloseTo(12_000, 3);
    expect(slow.groups[0].recomputeCostMs).toBeCloseTo(6000, 3);
    // The plan says what it was priced with.
    expect(slow.costModel.transferBytesPerSec).toBe(12.5e6);
    expect(slow.costModel.measured).toEqual(expect.arrayContaining(['transferBytesPerSec', 'targetSpeed']));
  });

  it('without a bandwidth prices no transfer (a checkpoint, or a probe that failed)', () => {
    const result = planFor(session(6000), { bandwidthBytesPerS: null, cpuRatio: null });
    expect(result.copy).toEqual(['m']);
    expect(result.groups[0].copyCostMs).toBeCloseTo(4000, 3);
    expect(result.costModel.transferBytesPerSec).toBeUndefined();
    expect(result.costModel.measured).not.toContain('transferBytesPerSec');
  });

  it('recomputes for a target as fast as here, and copies for one at half the CPU speed (3 s cell)', () => {
    const graph = session(3000);
    // Same speed: re-running 3 s < copying 4 s + 0.08 s over 10 Gbit/s.
    const same = planFor(graph, { bandwidthBytesPerS: 1.25e9, cpuRatio: 1 });
    expect(same.copy).toEqual([]);
    expect(same.rerun).toEqual([0]);
    // Half the speed: re-running takes 6 s there > 4.08 s.
    const slowCpu = planFor(graph, { bandwidthBytesPerS: 1.25e9, cpuRatio: 0.5 });
    expect(slowCpu.copy).toEqual(['m']);
    expect(slowCpu.groups[0].recomputeCostMs).toBeCloseTo(6000, 3);
    expect(slowCpu.costModel.targetSpeed).toBe(0.5);
  });

  it('a faster target CPU makes re-running cheaper still', () => {
    const result = planFor(session(6000), { bandwidthBytesPerS: 125e6, cpuRatio: 2 });
    expect(result.copy).toEqual([]);
    expect(result.groups[0].recomputeCostMs).toBeCloseTo(3000, 3);
  });
});
