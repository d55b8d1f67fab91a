/**
 * Plan stability: an unchanged history priced with noisy measurements keeps its plan; costs that
 * really change give a new plan; the explanation says which happened.
 */
import { HistoryGraph } from '../../src/ahg/graph';
import {
  allowedExtraMs,
  costModel,
  decisionsOf,
  fromGraph,
  historyKey,
  IFeasiblePlan,
  IPlannerInput,
  Measurements,
  plan,
  Plan,
  PreviousDecisions,
  RECENT_RUNS,
  STABILITY_MARGIN,
  ThroughputMeter,
  typicalDurationMs,
  withRun
} from '../../src/planner/index';
import { record } from '../companion/records';

const MB = 1e6;

/** Two independent groups: `near` costs about as much to copy as to recompute, `far` is clear-cut. */
function input(measurements: Measurements, previous?: PreviousDecisions): IPlannerInput {
  const execution = (index: number, durationMs: number) => ({
    index,
    cellIndex: index,
    cellId: null,
    durationMs,
    depends: [],
    unresolvedInputs: [],
    neverRerun: false,
    replayFailed: false
  });
  const group = (name: string, sizeBytes: number, producer: number) => ({
    members: [name],
    sizeBytes,
    unserializable: [],
    producers: [producer],
    external: [],
    neverCopy: [],
    alwaysCopy: []
  });
  return {
    objective: 'balanced',
    costModel: costModel('balanced', measurements),
    executions: [execution(0, 300), execution(1, 5_000)],
    groups: [group('near', 50 * MB, 0), group('far', 10 * MB, 1)],
    ...(previous ? { previous } : {})
  };
}

function feasible(result: Plan): IFeasiblePlan {
  if (!result.feasible) {
    throw new Error(result.infeasibility.message);
  }
  return result;
}

/** A deterministic generator (no test may depend on Math.random). */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1664525 + 1013904223) % 2 ** 32;
    return state / 2 ** 32;
  };
}

/** Record one checkpoint's and one restore's transfers of the `near` group with +-35% noise. */
function observe(meter: ThroughputMeter, random: () => number, writeBytesPerSec: number): void {
  const noisy = (ms: number) => ms * (0.65 + 0.7 * random());
  meter.record('write', 'local', 50 * MB, noisy((1000 * 50 * MB) / writeBytesPerSec));
  meter.record('read', 'local', 50 * MB, noisy(50));
  meter.record('serialize', 'host', 50 * MB, noisy(25));
  meter.record('deserialize', 'host', 50 * MB, noisy(50));
}

/** Plan `rounds` times, each after new noisy observations, each keeping (or not) the previous decisions. */
function rounds(count: number, keep: boolean, writeAt: (round: number) => number): IFeasiblePlan[] {
  const meter = new ThroughputMeter();
  const random = lcg(7);
  const plans: IFeasiblePlan[] = [];
  let previous: PreviousDecisions | undefined;
  for (let round = 0; round < count; round++) {
    observe(meter, random, writeAt(round));
    if (round === 3) {
      // One cold transfer, 10x slow.
      meter.record('write', 'local', 50 * MB, 10 * ((1000 * 50 * MB) / writeAt(round)));
    }
    const result = feasible(plan(input(meter.measurements('host', 'local'), keep ? previous : undefined)));
    plans.push(result);
    previous = decisionsOf(result);
  }
  return plans;
}

const decisions = (p: IFeasiblePlan) => p.groups.map(g => `${g.members[0]}:${g.decision}`).join(' ');

describe('plan stability', () => {
  // At 250 MB/s, copying `near` (50 MB) costs about its 300 ms re-run: noise alone flips it.
  const steady = () => 250e6;

  it('without the previous decisions, noisy estimates of an unchanged history flip the plan', () => {
    const seen = new Set(rounds(30, false, steady).map(decisions));
    expect(seen.size).toBeGreaterThan(1);
  });

  it('with them, an unchanged history keeps one plan through noise and a cold transfer', () => {
    const plans = rounds(30, true, steady);
    expect(new Set(plans.map(decisions)).size).toBe(1);
    const kept = plans.filter(p => p.stability?.kept);
    expect(kept.length).toBeGreaterThan(0);
    // Whenever other decisions looked cheaper, the plan says it kept the previous ones and why.
    for (const p of kept) {
      expect(p.notes.join(' ')).toMatch(
        /kept the previous plan's decisions for 1 group\(s\).*within the stability margin \(15% or 5 ms\)/
      );
      expect(p.groups.find(g => g.members[0] === 'near')?.reason).toMatch(/as in the previous plan/);
      expect(p.stability!.previousCostMs - p.stability!.bestCostMs).toBeLessThanOrEqual(
        allowedExtraMs(p.stability!.bestCostMs)
      );
    }
  });

  it('costs that really change (the store becomes 10x slower) give a new plan, and say so', () => {
    const plans = rounds(12, true, round => (round < 4 ? 1e9 : 25e6));
    const first = plans[0].groups.find(g => g.members[0] === 'near');
    const last = plans[plans.length - 1].groups.find(g => g.members[0] === 'near');
    expect([first?.decision, last?.decision]).toEqual(['copy', 'recompute']);
    const switched = plans.find(p => p.stability && !p.stability.kept && p.stability.differing > 0);
    expect(switched?.notes.join(' ')).toMatch(/changed the decisions of 1 group\(s\) from the previous plan/);
    // The clear-cut group never moved.
    expect(new Set(plans.map(p => p.groups.find(g => g.members[0] === 'far')?.decision))).toEqual(new Set(['copy']));
  });

  it('never keeps a decision a mark now forbids', () => {
    const base = input({});
    const previous = { '["far"]': 'recompute' as const };
    const marked = {
      ...base,
      previous,
      groups: base.groups.map(g => (g.members[0] === 'far' ? { ...g, alwaysCopy: ['far'] } : g))
    };
    expect(feasible(plan(marked)).groups.find(g => g.members[0] === 'far')?.decision).toBe('copy');
  });

  it('keys histories by objective and code in order', () => {
    expect(historyKey('balanced', ['a', 'b'])).toBe(historyKey('balanced', ['a', 'b']));
    expect(historyKey('balanced', ['a', 'b'])).not.toBe(historyKey('balanced', ['b', 'a']));
    expect(historyKey('balanced', ['ab'])).not.toBe(historyKey('balanced', ['a', 'b']));
    expect(historyKey('fast-restore', ['a'])).not.toBe(historyKey('balanced', ['a']));
    expect(STABILITY_MARGIN).toBeGreaterThanOrEqual(0.1);
    expect(STABILITY_MARGIN).toBeLessThanOrEqual(0.2);
  });
});

describe("re-runs priced by a history's recent runs", () => {
  /** One cell making a 50 MB array (about 130 ms to copy by default) in `durationMs`. */
  function session(durationMs: number): HistoryGraph {
    const graph = new HistoryGraph();
    graph.add(
      record(0, {
        code: 'big = make()',
        writes: ['big'],
        groups: [['big']],
        durationMs,
        variables: { big: { type: 'numpy.ndarray', size: 50 * MB, serializable: true } }
      })
    );
    return graph;
  }
  const decision = (durationMs: number, runs?: Array<{ runId: string; durationsMs: number[] }>) =>
    feasible(
      plan(
        fromGraph(session(durationMs), {
          objective: 'balanced',
          runId: 'now',
          ...(runs ? { previous: { decisions: {}, runs } } : {})
        })
      )
    ).groups[0].decision;

  it('takes the median of this run and the other recent runs of the history', () => {
    const runs = [
      { runId: 'a', durationsMs: [40, 1] },
      { runId: 'b', durationsMs: [50, 1] },
      { runId: 'now', durationsMs: [9999, 1] }, // this run planned before: counted once, as it is now
      { runId: 'short', durationsMs: [7] } // another number of executions: not the same history
    ];
    expect(typicalDurationMs(400, 0, 2, 'now', runs)).toBe(50);
    expect(typicalDurationMs(400, 0, 2, 'now', runs.slice(0, 1))).toBe(220); // two samples: their mean
    expect(typicalDurationMs(400, 0, 2, 'now', undefined)).toBe(400);
    const input = fromGraph(session(400), {
      objective: 'balanced',
      runId: 'now',
      previous: {
        decisions: {},
        runs: [
          { runId: 'a', durationsMs: [40] },
          { runId: 'b', durationsMs: [60] }
        ]
      }
    });
    expect(input.executions[0].durationMs).toBe(60);
    expect(input.previous).toEqual({});
  });

  it('one slow run of a cell does not flip its decision', () => {
    expect(decision(40)).toBe('recompute');
    expect(decision(400)).toBe('copy'); // alone, the slow run flips it
    const usual = Array.from({ length: 4 }, (_, i) => ({ runId: `r${i}`, durationsMs: [40] }));
    expect(decision(400, usual)).toBe('recompute');
    // A cell that really became slow changes the decision once most recent runs say so.
    const slower = [...usual.slice(0, 2), { runId: 'x', durationsMs: [400] }, { runId: 'y', durationsMs: [400] }];
    expect(decision(400, slower)).toBe('copy');
  });

  it('keeps one entry per run, the newest last, at most RECENT_RUNS', () => {
    let runs: Array<{ runId: string; durationsMs: number[] }> = [];
    for (let i = 0; i < RECENT_RUNS + 3; i++) {
      runs = withRun(runs, { runId: `r${i}`, durationsMs: [i] });
    }
    const newest = Array.from({ length: RECENT_RUNS }, (_, i) => `r${i + 3}`);
    expect(runs.map(r => r.runId)).toEqual(newest);
    // The same run planned again replaces its entry and becomes the newest.
    runs = withRun(runs, { runId: newest[1], durationsMs: [-1] });
    expect(runs.map(r => r.runId)).toEqual([...newest.filter(id => id !== newest[1]), newest[1]]);
    expect(runs).toHaveLength(RECENT_RUNS);
    // A restored run (another id, the checkpointed run's records) replaces the run it continues.
    runs = withRun(runs, { runId: 'restored', durationsMs: [-1] });
    expect(runs.map(r => r.runId)).toEqual([...newest.filter(id => id !== newest[1]), 'restored']);
    expect(runs[runs.length - 1].durationsMs).toEqual([-1]);
  });
});
