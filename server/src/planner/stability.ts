/**
 * Plan stability (hysteresis): a new plan keeps the previous plan's decisions unless the best
 * decisions under the current estimates are cheaper by more than a margin. Estimates move with
 * every measurement, and without this a plan of an unchanged history flips between two nearly
 * equal plans (docs/internals.md, "Cost model").
 */
import type { IStability } from '@elastic-notebook/protocol';
import { createHash } from 'crypto';
import { copyMigrateMs, fixedMs, groupRestoreMs, importsFixedMs, rerunDecisionMs, weighted } from './costs';
import { DecisionReason, IDecision } from './cut';
import { median } from './measurements';
import type { RequirementWalker } from './requirements';
import type { IPlannerInput, Objective } from './types';

/** Per group (by `groupKey`), what the previous plan decided. */
export type PreviousDecisions = Record<string, 'copy' | 'recompute'>;

/** The previous decisions are kept while they cost at most this fraction more than the best ones. */
export const STABILITY_MARGIN = 0.15;

/** ... or at most this many ms more (weighted), for plans so cheap that a fraction is noise. */
export const STABILITY_FLOOR_MS = 5;

/** How many recent runs of a history lend their recorded cell times to its next plans. */
export const RECENT_RUNS = 5;

/** The time each execution of one run of a history took, as recorded, ms (by execution index). */
export interface IRunDurations {
  runId: string;
  durationsMs: number[];
}

/** What the plans of a history (`historyKey`) leave for the next one. */
export interface IPlanHistory {
  /** The decisions of its last plan. */
  decisions: PreviousDecisions;
  /** Its recent runs' recorded cell times, oldest first, at most `RECENT_RUNS`. */
  runs: IRunDurations[];
}

/** The cell times of run `runId` from its executions (or records), in order. */
export function runDurations(runId: string, executions: ReadonlyArray<{ durationMs: number }>): IRunDurations {
  return { runId, durationsMs: executions.map(e => e.durationMs) };
}

/**
 * `runs` with `run` as the newest, at most `RECENT_RUNS`. It replaces an earlier entry of the same
 * run, and one with the very same times: a restored kernel continues the checkpointed run's
 * records under a run id of its own, and one run's times must not count twice.
 */
export function withRun(runs: readonly IRunDurations[], run: IRunDurations): IRunDurations[] {
  const same = (r: IRunDurations) =>
    r.runId === run.runId ||
    (r.durationsMs.length === run.durationsMs.length && r.durationsMs.every((d, i) => d === run.durationsMs[i]));
  return [...runs.filter(r => !same(r)), { runId: run.runId, durationsMs: [...run.durationsMs] }].slice(-RECENT_RUNS);
}

/**
 * What a re-run of execution `index` is priced at: the median of the time it took in this run
 * (`durationMs`) and in the other recent runs of the same history. The same cell's time varies
 * between processes (on a 2-core VM a cell allocating 1.5 GB took 0.5 s to 4.1 s): one slow run
 * must not flip decisions or move estimates by as much. Runs recorded with another number of
 * executions (not the same history after all) are left out.
 */
export function typicalDurationMs(
  durationMs: number,
  index: number,
  executions: number,
  runId: string | undefined,
  runs: readonly IRunDurations[] | undefined
): number {
  const samples = [durationMs];
  for (const run of runs ?? []) {
    const other = run.durationsMs[index];
    if (run.runId !== runId && run.durationsMs.length === executions && Number.isFinite(other) && other >= 0) {
      samples.push(other);
    }
  }
  return median(samples);
}

/** Key of a group: its sorted members. */
export const groupKey = (members: string[]): string => JSON.stringify([...members].sort());

/** The decisions of a plan, for the next plan of the same history. */
export function decisionsOf(plan: {
  groups: Array<{ members: string[]; decision: 'copy' | 'recompute' }>;
}): PreviousDecisions {
  const decisions: PreviousDecisions = {};
  plan.groups.forEach(group => (decisions[groupKey(group.members)] = group.decision));
  return decisions;
}

/**
 * Key of a recorded history for an objective: a plan remembered under it applies to any session
 * that ran the same code in the same order (the same notebook re-run, or restored).
 */
export function historyKey(objective: Objective, codes: Iterable<string>): string {
  const hash = createHash('sha256').update(objective);
  for (const code of codes) {
    hash.update('\u0000').update(code);
  }
  return hash.digest('hex').slice(0, 32);
}

export type { IStability };

/**
 * The weighted cost of a plan that recomputes the groups flagged in `recompute` (and copies the
 * others) and re-runs `rerun`, the fixed work of checkpoint and restore included, as the min-cut
 * weighs it: re-runs at `rerunDecisionMs` (the plan's `estimate` prices their time alone).
 */
export function decisionsCost(input: IPlannerInput, recompute: Uint8Array, rerun: Iterable<number>): number {
  const model = input.costModel;
  const fixed = fixedMs(model, input.groups);
  let cost = weighted(model, fixed.migrateMs, fixed.restoreMs + importsFixedMs(model, input.importsMs));
  input.groups.forEach((group, g) => {
    if (!recompute[g]) {
      cost += weighted(model, copyMigrateMs(model, group.sizeBytes), groupRestoreMs(model, group));
    }
  });
  for (const e of rerun) {
    cost += weighted(model, 0, rerunDecisionMs(model, input.executions[e])); // as the cut weighs it (network.ts)
  }
  return cost;
}

/** The extra cost over `bestCostMs` (a plan's total weighted cost) that still keeps previous decisions. */
export function allowedExtraMs(bestCostMs: number): number {
  return Math.max(STABILITY_MARGIN * bestCostMs, STABILITY_FLOOR_MS);
}

/**
 * The decision to carry out: `best` (the minimum cut), or the previous plan's decisions for the
 * groups it decided freely (not forced by a mark, an unserializable member or a blocked history)
 * when they cost at most `allowedExtraMs` more under the current estimates.
 */
export function keepPrevious(
  input: IPlannerInput,
  walker: RequirementWalker,
  best: IDecision,
  previous: PreviousDecisions
): { decision: IDecision; stability: IStability } {
  const recompute = Uint8Array.from(best.recompute);
  let differing = 0;
  input.groups.forEach((group, g) => {
    const why = best.reasons[g];
    const before = previous[groupKey(group.members)];
    if ((why !== DecisionReason.Local && why !== DecisionReason.Shared) || before === undefined) {
      return;
    }
    const wanted = before === 'recompute' ? 1 : 0;
    if (recompute[g] !== wanted) {
      recompute[g] = wanted;
      differing++;
    }
  });
  const bestCostMs = decisionsCost(input, best.recompute, best.rerun);
  const allowedMs = allowedExtraMs(bestCostMs);
  if (differing === 0) {
    return {
      decision: best,
      stability: { kept: false, differing: 0, previousCostMs: bestCostMs, bestCostMs, allowedMs }
    };
  }
  const recomputed: number[] = [];
  recompute.forEach((r, g) => r && recomputed.push(g));
  const rerun: number[] = [];
  walker.walkGroups(recomputed, e => rerun.push(e));
  rerun.sort((a, b) => a - b);
  const previousCostMs = decisionsCost(input, recompute, rerun);
  const kept = previousCostMs - bestCostMs <= allowedMs;
  const stability = { kept, differing, previousCostMs, bestCostMs, allowedMs };
  if (!kept) {
    return { decision: best, stability };
  }
  const reasons = best.reasons.map((why, g) => (recompute[g] !== best.recompute[g] ? DecisionReason.Kept : why));
  return { decision: { ...best, recompute, reasons, rerun }, stability };
}
