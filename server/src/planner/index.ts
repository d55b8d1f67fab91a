/**
 * The replication planner (docs/method.md section 3): for every active variable group, copy it or recompute
 * it, by an exact minimum s-t cut, with an explanation of every decision.
 *
 * Typical use in the companion:
 *
 *   const input = fromGraph(graph, { objective, measurements, marks });
 *   const result = plan(input);
 */
import { performance } from 'node:perf_hooks';
import { blockedExecutions, copyOnlyGroups, decide } from './cut';
import { baselines, describeModel, estimate, explainGroups, infeasibility, stabilityNote } from './explain';
import { capacities } from './network';
import { RequirementWalker } from './requirements';
import type { IPlannerInput, Plan } from './types';
import { validateInput } from './validate';
import { IStability, keepPrevious } from './stability';

export * from './types';
export * from './costs';
export * from './marks';
export { FlowNetwork, minCut, IMinCut } from './maxflow';
export { capacities, compactNetwork, literalNetwork, decisionCost, ICapacities, SOURCE, SINK } from './network';
export { RequirementWalker } from './requirements';
export { ThroughputMeter, ThroughputKind, THROUGHPUT_KINDS, median, robust, WINDOW, MIN_SAMPLES } from './measurements';
export * from './stability';
export { fromGraph, IFromGraphOptions } from './fromGraph';
export { PlannerInputError, validateInput } from './validate';

/**
 * Plan a checkpoint: validate the input (throws `PlannerInputError`), then either return the
 * optimal plan with its explanation or, when no finite plan exists, say precisely why.
 */
export function plan(input: IPlannerInput): Plan {
  const started = performance.now();
  validateInput(input);
  const caps = capacities(input);
  const walker = new RequirementWalker(input);
  const blocked = blockedExecutions(input, caps);
  const copyOnly = copyOnlyGroups(input, caps, blocked);
  const stuck: number[] = [];
  copyOnly.forEach((only, g) => {
    if (only && caps.copy[g] === Infinity) {
      stuck.push(g);
    }
  });
  if (stuck.length > 0) {
    return {
      feasible: false,
      objective: input.objective,
      infeasibility: infeasibility(input, caps, walker, stuck),
      planMs: performance.now() - started
    };
  }
  let decision = decide(input, caps, walker, blocked, copyOnly);
  let stability: IStability | undefined;
  if (input.previous) {
    ({ decision, stability } = keepPrevious(input, walker, decision, input.previous));
  }
  const copiedGroups: number[] = [];
  const copy: string[] = [];
  input.groups.forEach((group, g) => {
    if (!decision.recompute[g]) {
      copiedGroups.push(g);
      copy.push(...group.members);
    }
  });
  copy.sort();
  const explained = explainGroups(input, caps, decision, walker, blocked);
  const notes =
    explained.unpriced > 0
      ? [
          `the standalone recompute cost of ${explained.unpriced} group(s) was not priced: their histories overlap ` +
            'too much to walk each one alone quickly; the decisions are optimal all the same'
        ]
      : [];
  const kept = stabilityNote(stability);
  if (kept) {
    notes.push(kept);
  }
  return {
    feasible: true,
    objective: input.objective,
    copy,
    rerun: decision.rerun,
    groups: explained.groups,
    estimate: estimate(input, copiedGroups, decision.rerun),
    baselines: baselines(input, caps),
    costModel: describeModel(input.costModel),
    notes,
    ...(stability ? { stability } : {}),
    planMs: performance.now() - started
  };
}
