/**
 * Test helpers for the planner: random notebook sessions recorded into a real HistoryGraph, and
 * two independent oracles (exhaustive search, and a linear program solved by HiGHS) that use the
 * AHG's own `requiredForGroup` for req(g), never the planner's.
 */
import fc from 'fast-check';
import { HistoryGraph, IExecutionRecord } from '../../src/ahg/index';
import { capacities, ICapacities, IPlannerInput, Measurements, Objective } from '../../src/planner/index';

/**
 * 100 MB/s everywhere and no latency: 100 MB copies in 1 s per step, 4 s in all; no fixed cost
 * per re-run, checkpoint or restore, so that a test's figures are the decisions' alone.
 */
export const FLAT: Measurements = {
  serializeBytesPerSec: 100e6,
  deserializeBytesPerSec: 100e6,
  writeBytesPerSec: 100e6,
  readBytesPerSec: 100e6,
  payloadLatencyMs: 0,
  rerunLatencyMs: 0,
  checkpointOverheadMs: 0,
  restoreOverheadMs: 0
};

export const NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

/** One random cell execution, as raw choices turned into a consistent record by `buildRecords`. */
export interface IRandomStep {
  reads: string[];
  writes: string[];
  deletes: string[];
  durationMs: number;
  cellIndex: number;
  /** Per name, a label: live variables with equal labels are linked. */
  links: number[];
  sizes: number[];
  unserializable: string[];
  /** Read one variable that does not exist yet (an unrecorded definition). */
  wildRead: boolean;
  /** Report one live variable created outside the recorded history. */
  external: boolean;
}

/** A random session: records plus marks, objective and measurements. */
export interface IRandomSession {
  records: IExecutionRecord[];
  objective: Objective;
  marks: { neverRerun: { cellIds: string[]; cellIndices: number[] }; alwaysCopy: string[]; neverCopy: string[] };
  measurements: { serializeBytesPerSec: number; writeBytesPerSec: number; targetSpeed: number };
}

const stepArb = (names: string[]): fc.Arbitrary<IRandomStep> =>
  fc.record({
    reads: fc.subarray(names),
    writes: fc.subarray(names, { minLength: 1 }),
    deletes: fc.subarray(names, { maxLength: 1 }),
    durationMs: fc.integer({ min: 0, max: 2000 }),
    cellIndex: fc.integer({ min: 0, max: 9 }),
    links: fc.array(fc.integer({ min: 0, max: names.length + 2 }), {
      minLength: names.length,
      maxLength: names.length
    }),
    sizes: fc.array(fc.integer({ min: 0, max: 400e6 }), { minLength: names.length, maxLength: names.length }),
    unserializable: fc.subarray(names, { maxLength: 1 }).chain(s => fc.constantFrom(s, [], [], [], [])),
    wildRead: fc.integer({ min: 0, max: 9 }).map(i => i === 0),
    external: fc.constantFrom(false, false, false, false, false, false, false, false, true)
  });

/** Turn raw steps into records the agent could have sent (groups cover every live variable). */
export function buildRecords(steps: IRandomStep[], names: string[]): IExecutionRecord[] {
  const live = new Set<string>();
  let wild = 0;
  return steps.map((step, seq) => {
    const reads = step.reads.filter(n => live.has(n));
    if (step.wildRead) {
      reads.push(`unrecorded${wild++}`);
    }
    for (const n of step.writes) {
      live.add(n);
    }
    const deletes = step.deletes.filter(n => live.has(n) && !step.writes.includes(n));
    deletes.forEach(n => live.delete(n));
    if (step.external) {
      live.add(`outside${seq}`);
    }
    const byLabel = new Map<number, string[]>();
    for (const n of [...live].sort()) {
      const i = names.indexOf(n);
      const label = i >= 0 ? step.links[i] : 1000 + seq;
      byLabel.set(label, [...(byLabel.get(label) ?? []), n]);
    }
    const variables: IExecutionRecord['variables'] = {};
    for (const n of step.writes) {
      variables[n] = {
        type: 'object',
        size: step.sizes[names.indexOf(n)],
        serializable: !step.unserializable.includes(n)
      };
    }
    return {
      seq,
      cellIndex: step.cellIndex,
      cellId: `cell-${step.cellIndex}`,
      executionCount: seq + 1,
      code: `# step ${seq}`,
      startedAtMs: seq * 10,
      durationMs: step.durationMs,
      error: null,
      reads,
      writes: [...step.writes],
      deletes,
      groups: [...byLabel.values()],
      variables
    };
  });
}

/** Random sessions of up to `maxSteps` executions over `nameCount` variable names. */
export function sessionArb(maxSteps: number, nameCount = 6, markRate = 1): fc.Arbitrary<IRandomSession> {
  const names = NAMES.slice(0, nameCount);
  return fc
    .record({
      steps: fc.array(stepArb(names), { minLength: 1, maxLength: maxSteps }),
      objective: fc.constantFrom<Objective>('fast-migrate', 'fast-restore', 'balanced'),
      neverRerun: fc.subarray([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], { maxLength: markRate }),
      alwaysCopy: fc.subarray(names, { maxLength: markRate }),
      neverCopy: fc.subarray(names, { maxLength: markRate }),
      serializeBytesPerSec: fc.integer({ min: 1e6, max: 2e9 }),
      writeBytesPerSec: fc.integer({ min: 1e6, max: 2e9 }),
      targetSpeed: fc.constantFrom(0.5, 1, 2, 4)
    })
    .map(r => ({
      records: buildRecords(r.steps, names),
      objective: r.objective,
      marks: {
        neverRerun: {
          cellIds: r.neverRerun.filter(i => i % 2 === 0).map(i => `cell-${i}`),
          cellIndices: r.neverRerun.filter(i => i % 2 === 1)
        },
        alwaysCopy: r.alwaysCopy,
        neverCopy: r.neverCopy.filter(n => !r.alwaysCopy.includes(n))
      },
      measurements: {
        serializeBytesPerSec: r.serializeBytesPerSec,
        writeBytesPerSec: r.writeBytesPerSec,
        targetSpeed: r.targetSpeed
      }
    }));
}

/** A real HistoryGraph fed with the records. */
export function graphOf(records: IExecutionRecord[]): HistoryGraph {
  const graph = new HistoryGraph();
  records.forEach(r => graph.add(r));
  return graph;
}

/** req(g) per group, from the AHG (the oracle's definition, independent of the planner). */
export function ahgRequirements(
  graph: HistoryGraph,
  input: IPlannerInput
): Array<{ executions: number[]; unresolved: number[] }> {
  return input.groups.map(group => graph.requiredForGroup(group.members));
}

/**
 * Check that copying the complement of `recomputed` and re-running `rerun` restores every active
 * group; returns a description of the first violation, or null.
 */
export function violation(
  input: IPlannerInput,
  caps: ICapacities,
  req: Array<{ executions: number[]; unresolved: number[] }>,
  recomputed: Set<number>,
  rerun: Set<number>
): string | null {
  for (const e of rerun) {
    if (caps.rerun[e] === Infinity) {
      return `execution ${e} cannot be re-run but is`;
    }
  }
  for (let g = 0; g < input.groups.length; g++) {
    if (!recomputed.has(g)) {
      if (caps.copy[g] === Infinity) {
        return `group ${input.groups[g].members} cannot be copied but is`;
      }
      continue;
    }
    if (caps.mustCopy[g] || req[g].unresolved.length > 0) {
      return `group ${input.groups[g].members} cannot be recomputed but is`;
    }
    const missing = req[g].executions.find(e => !rerun.has(e));
    if (missing !== undefined) {
      return `group ${input.groups[g].members} is recomputed without execution ${missing}`;
    }
  }
  return null;
}

/** Exhaustive optimum over all subsets of recomputed groups (Infinity when none is feasible). */
export function bruteForceCost(
  input: IPlannerInput,
  req: Array<{ executions: number[]; unresolved: number[] }>
): number {
  const caps = capacities(input);
  const G = input.groups.length;
  if (G > 16) {
    throw new Error('too many groups for brute force');
  }
  let best = Infinity;
  for (let mask = 0; mask < 1 << G; mask++) {
    let cost = 0;
    const rerun = new Set<number>();
    let ok = true;
    for (let g = 0; g < G && ok; g++) {
      if (mask & (1 << g)) {
        if (caps.mustCopy[g] || req[g].unresolved.length > 0) {
          ok = false;
        }
        req[g].executions.forEach(e => rerun.add(e));
      } else {
        cost += caps.copy[g];
      }
    }
    if (!ok) {
      continue;
    }
    for (const e of rerun) {
      cost += caps.rerun[e];
    }
    best = Math.min(best, cost);
  }
  return best;
}

/**
 * The plan as a linear program in CPLEX LP format: x_g = 1 when g is recomputed, y_e = 1 when e is
 * re-run; minimise sum c_g (1 - x_g) + sum r_e y_e subject to y_e >= x_g for e in req(g). The
 * constraint matrix is totally unimodular, so the LP optimum is the integer optimum.
 * Costs are given in ms (capacity units / 1000) to keep HiGHS's tolerances meaningful.
 */
export function planAsLp(
  input: IPlannerInput,
  req: Array<{ executions: number[]; unresolved: number[] }>
): { lp: string; constant: number } {
  const caps = capacities(input);
  const objective: string[] = [];
  const constraints: string[] = [];
  const bounds: string[] = [];
  let constant = 0;
  input.groups.forEach((_, g) => {
    const canCopy = caps.copy[g] !== Infinity;
    const canRecompute = !caps.mustCopy[g] && req[g].unresolved.length === 0;
    if (canCopy) {
      constant += caps.copy[g] / 1000;
      objective.push(`- ${caps.copy[g] / 1000} x${g}`);
    }
    bounds.push(canCopy ? `0 <= x${g} <= 1` : `x${g} = 1`);
    if (!canRecompute) {
      // A row, not a bound, so that "cannot copy" and "cannot recompute" together are infeasible.
      constraints.push(` k${g}: x${g} <= 0`);
    }
    req[g].executions.forEach((e, i) => constraints.push(` r${g}_${i}: y${e} - x${g} >= 0`));
  });
  input.executions.forEach((_, e) => {
    if (caps.rerun[e] === Infinity) {
      bounds.push(`y${e} = 0`);
    } else {
      objective.push(`+ ${caps.rerun[e] / 1000} y${e}`);
      bounds.push(`0 <= y${e} <= 1`);
    }
  });
  const lp = [
    'Minimize',
    ` obj: ${objective.length > 0 ? objective.join(' ') : '0 x0'}`,
    'Subject To',
    ...(constraints.length > 0 ? constraints : [' none: x0 >= 0']),
    'Bounds',
    ...bounds.map(b => ` ${b}`),
    'End'
  ].join('\n');
  return { lp, constant };
}
