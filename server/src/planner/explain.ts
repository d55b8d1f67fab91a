/**
 * Explanations: what each group's decision costs and why, the plan's estimated times, the
 * baselines priced by the same model, and, when no finite plan exists, which variables and
 * executions cause it and what the user can do.
 */
import {
  copyMigrateMs,
  fixedMs,
  groupRestoreMs,
  ICostModel,
  importsFixedMs,
  rerunDecisionMs,
  rerunMs,
  rerunWorkMs,
  weighted
} from './costs';
import { DecisionReason, IDecision } from './cut';
import type { ICapacities } from './network';
import { RequirementWalker } from './requirements';
import { IStability, STABILITY_FLOOR_MS, STABILITY_MARGIN } from './stability';
import type {
  IBaseline,
  IEstimate,
  IGroupExplanation,
  IInfeasibility,
  IPlannerExecution,
  IPlannerInput
} from './types';

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** "execution 7 (cell 3)" */
export function describeExecution(execution: IPlannerExecution): string {
  return execution.cellIndex === null
    ? `execution ${execution.index}`
    : `execution ${execution.index} (cell ${execution.cellIndex})`;
}

const quoteAll = (names: string[]) => names.map(n => `'${n}'`).join(', ');

/** Price a set of copied groups and re-run executions, with the work no decision changes. */
export function estimate(input: IPlannerInput, copied: Iterable<number>, rerun: Iterable<number>): IEstimate {
  const model = input.costModel;
  const fixed = fixedMs(model, input.groups);
  // The state's imports are paid by every plan: fixed work, as verifying is.
  fixed.restoreMs += importsFixedMs(model, input.importsMs);
  let migrateMs = fixed.migrateMs;
  let restoreMs = fixed.restoreMs;
  for (const g of copied) {
    migrateMs += copyMigrateMs(model, input.groups[g].sizeBytes);
    restoreMs += groupRestoreMs(model, input.groups[g]);
  }
  for (const e of rerun) {
    restoreMs += rerunMs(model, rerunWorkMs(input.executions[e]));
  }
  return {
    migrateMs: round(migrateMs),
    restoreMs: round(restoreMs),
    totalMs: round(migrateMs + restoreMs),
    objectiveCost: round(weighted(model, migrateMs, restoreMs)),
    fixed: { migrateMs: round(fixed.migrateMs), restoreMs: round(fixed.restoreMs) }
  };
}

/** Why an execution cannot be re-run, or null if it can. */
function rerunObstacle(execution: IPlannerExecution): string | null {
  if (execution.neverRerun) {
    return `${describeExecution(execution)} is marked "never re-run"`;
  }
  if (execution.replayFailed) {
    return `${describeExecution(execution)} failed to replay in an earlier restore`;
  }
  if (execution.nondeterministic) {
    return `${describeExecution(execution)} draws fresh random entropy (an unseeded generator of its own), so a re-run would give other results`;
  }
  if (execution.unresolvedInputs.length > 0) {
    return `${describeExecution(execution)} read ${quoteAll(execution.unresolvedInputs)}, which no recorded execution produced`;
  }
  return null;
}

/** The executions in req(g) that cannot be re-run themselves, ascending. */
function blockingExecutions(input: IPlannerInput, caps: ICapacities, walker: RequirementWalker, g: number): number[] {
  const found: number[] = [];
  walker.walk(input.groups[g].producers, e => {
    if (caps.rerun[e] === Infinity) {
      found.push(e);
    }
  });
  return found.sort((a, b) => a - b);
}

/**
 * Walking req(g) for every group alone costs the sum of all |req(g)|, quadratic when many groups
 * sit on one long history. Standalone recompute costs are computed within this many visits per
 * node and edge of the graph (plus a floor); groups beyond it report `recomputeCostMs: null` with
 * `recomputable` still telling whether recomputing is possible at all.
 */
const EXPLAIN_VISITS_PER_ELEMENT = 8;
const EXPLAIN_VISITS_FLOOR = 2_000_000;

/** The explanations, and how many groups' standalone recompute cost was left out. */
export interface IGroupExplanations {
  groups: IGroupExplanation[];
  unpriced: number;
}

/** Per group: copy cost, standalone recompute cost and the reason for its decision. */
export function explainGroups(
  input: IPlannerInput,
  caps: ICapacities,
  decision: IDecision,
  walker: RequirementWalker,
  blocked: Uint8Array
): IGroupExplanations {
  const model = input.costModel;
  let size = input.executions.length + input.groups.length;
  input.executions.forEach(e => (size += e.depends.length));
  let budget = Math.max(EXPLAIN_VISITS_FLOOR, EXPLAIN_VISITS_PER_ELEMENT * size);
  let unpriced = 0;
  // Groups with early producers usually have small histories: price those first.
  const latestProducer = new Float64Array(input.groups.length);
  input.groups.forEach((group, g) => {
    let latest = -1;
    for (const p of group.producers) {
      latest = p > latest ? p : latest;
    }
    latestProducer[g] = latest;
  });
  const order = Int32Array.from(input.groups, (_, g) => g).sort((a, b) => latestProducer[a] - latestProducer[b]);
  const priced = new Array<{ ms: number; count: number } | null>(input.groups.length).fill(null);
  for (const g of order) {
    if (budget <= 0) {
      unpriced++;
      continue;
    }
    let ms = 0;
    let count = 0;
    walker.walk(input.groups[g].producers, e => {
      count++;
      ms += rerunDecisionMs(model, input.executions[e]); // as the cut weighs it (network.ts)
    });
    budget -= count + 1;
    priced[g] = { ms, count };
  }
  const groups = input.groups.map((group, g): IGroupExplanation => {
    const canCopy = caps.copy[g] !== Infinity;
    let recomputable = caps.mustCopy[g] === 0;
    for (let i = 0; recomputable && i < group.producers.length; i++) {
      recomputable = blocked[group.producers[i]] === 0;
    }
    const recompute = decision.recompute[g] === 1;
    return {
      members: [...group.members],
      decision: recompute ? 'recompute' : 'copy',
      sizeBytes: group.sizeBytes,
      copyCostMs: canCopy ? round(copyMigrateMs(model, group.sizeBytes) + groupRestoreMs(model, group)) : null,
      recomputable,
      recomputeCostMs: recomputable && priced[g] ? round((priced[g] as { ms: number }).ms) : null,
      requiredExecutions: priced[g] ? (priced[g] as { count: number }).count : null,
      reason: reason(input, caps, walker, g, decision.reasons[g], recompute)
    };
  });
  return { groups, unpriced };
}

function reason(
  input: IPlannerInput,
  caps: ICapacities,
  walker: RequirementWalker,
  g: number,
  why: DecisionReason,
  recompute: boolean
): string {
  const group = input.groups[g];
  switch (why) {
    case DecisionReason.MustCopy:
      return group.external.length > 0
        ? `${quoteAll(group.external)} came from outside the recorded history, so only a copy can restore it`
        : `marked "always copy" (${quoteAll(group.alwaysCopy)})`;
    case DecisionReason.Blocked: {
      const first = blockingExecutions(input, caps, walker, g)[0];
      return `cannot be recomputed: ${rerunObstacle(input.executions[first])}`;
    }
    case DecisionReason.CannotCopy:
      return group.unserializable.length > 0
        ? `${quoteAll(group.unserializable)} cannot be serialized`
        : `marked "never copy" (${quoteAll(group.neverCopy)})`;
    case DecisionReason.Local:
      return recompute
        ? 'recomputing costs no more than copying under this objective'
        : 'copying is cheaper than recomputing under this objective';
    case DecisionReason.Shared:
      return recompute
        ? 'recomputing is cheapest together with the groups whose executions it shares'
        : 'copying is cheaper than its share of the executions recomputing would need';
    case DecisionReason.Kept:
      return recompute
        ? 'recomputed as in the previous plan: copying is estimated only slightly cheaper (within the stability margin)'
        : 'copied as in the previous plan: recomputing is estimated only slightly cheaper (within the stability margin)';
  }
}

/** Copy-all and recompute-all (re-run every execution), priced by the same model. */
export function baselines(input: IPlannerInput, caps: ICapacities): { copyAll: IBaseline; recomputeAll: IBaseline } {
  const G = input.groups.length;
  const E = input.executions.length;
  const uncopyable = input.groups.findIndex((_, g) => caps.copy[g] === Infinity);
  const copyAll: IBaseline =
    uncopyable >= 0
      ? {
          feasible: false,
          reason: `${quoteAll(input.groups[uncopyable].members)} cannot be copied (${
            input.groups[uncopyable].unserializable.length > 0 ? 'unserializable' : 'marked "never copy"'
          })`
        }
      : { feasible: true, ...estimate(input, range(G), []) };
  const mustCopy = input.groups.findIndex((_, g) => caps.mustCopy[g] === 1);
  const unrunnable = input.executions.find((_, e) => caps.rerun[e] === Infinity);
  let recomputeAll: IBaseline;
  if (unrunnable) {
    recomputeAll = { feasible: false, reason: rerunObstacle(unrunnable) as string };
  } else if (mustCopy >= 0) {
    const group = input.groups[mustCopy];
    recomputeAll = {
      feasible: false,
      reason:
        group.external.length > 0
          ? `${quoteAll(group.external)} came from outside the recorded history`
          : `${quoteAll(group.alwaysCopy)} is marked "always copy"`
    };
  } else {
    recomputeAll = { feasible: true, ...estimate(input, [], range(E)) };
  }
  return { copyAll, recomputeAll };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * Why no finite plan exists: the groups that can be neither copied nor recomputed, the
 * executions blocking their recomputation, and one suggestion per cause.
 */
export function infeasibility(
  input: IPlannerInput,
  caps: ICapacities,
  walker: RequirementWalker,
  stuck: number[]
): IInfeasibility {
  const variables = new Set<string>();
  const executions = new Set<number>();
  const suggestions: string[] = [];
  const suggest = (text: string) => {
    if (!suggestions.includes(text)) {
      suggestions.push(text);
    }
  };
  const clauses: string[] = [];
  for (const g of stuck) {
    const group = input.groups[g];
    group.members.forEach(m => variables.add(m));
    const noCopy: string[] = [];
    if (group.unserializable.length > 0) {
      noCopy.push(`${quoteAll(group.unserializable)} cannot be serialized`);
    }
    if (group.neverCopy.length > 0) {
      noCopy.push(`${quoteAll(group.neverCopy)} is marked "never copy"`);
      suggest(`remove the "never copy" mark from ${quoteAll(group.neverCopy)}`);
    }
    const noRecompute: string[] = [];
    if (group.external.length > 0) {
      noRecompute.push(`${quoteAll(group.external)} came from outside the recorded history`);
      suggest(`re-create ${quoteAll(group.external)} in a recorded cell (run the cell that defines it again)`);
    }
    if (group.alwaysCopy.length > 0) {
      noRecompute.push(`${quoteAll(group.alwaysCopy)} is marked "always copy"`);
      suggest(`remove the "always copy" mark from ${quoteAll(group.alwaysCopy)}`);
    }
    for (const e of blockingExecutions(input, caps, walker, g)) {
      const execution = input.executions[e];
      executions.add(e);
      noRecompute.push(rerunObstacle(execution) as string);
      if (execution.neverRerun) {
        suggest(
          `unmark ${execution.cellIndex === null ? `the cell of execution ${e}` : `cell ${execution.cellIndex}`} ` +
            '("never re-run") if re-running it is safe'
        );
      } else if (execution.replayFailed) {
        suggest(`fix ${describeExecution(execution)} so that it replays, then checkpoint again`);
      } else if (execution.nondeterministic) {
        suggest(
          `seed the generator created in ${describeExecution(execution)} (for example np.random.default_rng(0)) and re-run the notebook`
        );
      } else {
        suggest(`define ${quoteAll(execution.unresolvedInputs)} in a recorded cell and re-run the cells that use it`);
      }
    }
    clauses.push(
      `${quoteAll(group.members)} can be neither copied (${noCopy.join('; ')}) nor recomputed (${noRecompute.join('; ')})`
    );
  }
  const names = [...variables].sort();
  suggestions.unshift(
    `delete ${names.length > 1 ? 'the variables' : 'the variable'} before checkpointing: del ${names.join(', ')}`
  );
  return {
    variables: names,
    executions: [...executions].sort((a, b) => a - b),
    message: `No checkpoint plan can restore this session: ${clauses.join('; ')}.`,
    suggestions
  };
}

const fmtMs = (ms: number) => (ms < 10 ? ms.toFixed(1) : String(Math.round(ms)));

/** The plan's remark on stability, or null when there is nothing to say. */
export function stabilityNote(stability: IStability | undefined): string | null {
  if (!stability || stability.differing === 0) {
    return null;
  }
  const margin = `${Math.round(STABILITY_MARGIN * 100)}% or ${STABILITY_FLOOR_MS} ms`;
  const saving = stability.previousCostMs - stability.bestCostMs;
  return stability.kept
    ? `kept the previous plan's decisions for ${stability.differing} group(s): under the current estimates other decisions ` +
        `would save only ${fmtMs(saving)} ms of ${fmtMs(stability.previousCostMs)} ms, within the stability margin (${margin}); ` +
        'decisions change only when the estimates really do'
    : `changed the decisions of ${stability.differing} group(s) from the previous plan: they save ${fmtMs(saving)} ms ` +
        `of ${fmtMs(stability.previousCostMs)} ms, more than the stability margin (${margin})`;
}

/** The cost model as shown in a plan (a copy, so later changes do not leak into old plans). */
export function describeModel(model: ICostModel): ICostModel {
  const throughputs = Object.fromEntries(
    Object.entries(model.throughputs).map(([kind, t]) => [
      kind,
      { ...t, bytesPerSec: [...t.bytesPerSec], rateSamples: [...t.rateSamples] }
    ])
  ) as ICostModel['throughputs'];
  return { ...model, throughputs, weights: { ...model.weights }, measured: [...model.measured] };
}
