/**
 * Types of the replication planner: its input (built from the AHG by `fromGraph`, or by hand)
 * and the plan it returns (the JSON that the companion serves and the CLI prints, defined in the
 * wire contract).
 */
import type { Objective } from '@elastic-notebook/protocol';
import { ICostModel } from './costs';
import type { PreviousDecisions } from './stability';

export { OBJECTIVES } from '@elastic-notebook/protocol';
export type {
  IBaseline,
  IEstimate,
  IFeasiblePlan,
  IGroupExplanation,
  IInfeasibility,
  IInfeasiblePlan,
  Objective,
  Plan
} from '@elastic-notebook/protocol';

/** A linked group of active variables: copied together or recomputed together. */
export interface IPlannerGroup {
  /** Variable names, sorted. */
  members: string[];
  /** Estimated serialized size of the whole group in bytes. */
  sizeBytes: number;
  /**
   * Of `sizeBytes`, the memory of numpy arrays: fingerprinting hashes it at memory speed, while
   * the rest is walked object by object (absent: none).
   */
  arrayBytes?: number;
  /** Members that looked unserializable (generators, open files, locks...): the group cannot be copied. */
  unserializable: string[];
  /** Producing executions of the members that have one (`req(g)` starts from these). */
  producers: number[];
  /** Members produced outside the recorded history: the group can only be copied. */
  external: string[];
  /** Members the user marked "never copy". */
  neverCopy: string[];
  /** Members the user marked "always copy". */
  alwaysCopy: string[];
  /**
   * Time a restore spends importing modules only because this group is copied, ms (a hand-made
   * input's; `fromGraph` prices imports as `IPlannerInput.importsMs`). Absent: none.
   */
  importMs?: number;
}

/** A cell execution as the planner sees it. */
export interface IPlannerExecution {
  /** Its index in the AHG; `executions[i].index === i`. */
  index: number;
  /** Position of the cell in the notebook, when known (for messages). */
  cellIndex: number | null;
  /** nbformat cell id, when known (for messages). */
  cellId: string | null;
  /** Recorded wall-clock duration on the source machine. */
  durationMs: number;
  /**
   * Executions that must be re-run with this one: the producers of the non-active snapshots it
   * read. All are smaller than `index`.
   */
  depends: number[];
  /** Non-active inputs no recorded execution produced: this execution cannot be re-run. */
  unresolvedInputs: string[];
  /** The user marked its cell "never re-run" (side effects). */
  neverRerun: boolean;
  /** A previous restore failed to replay it. */
  replayFailed: boolean;
  /** It drew fresh OS entropy (an unseeded generator of its own): a re-run gives other results. */
  nondeterministic?: boolean;
  /**
   * Of `durationMs`, importing modules that every restore imports whatever the plan (the libraries
   * of the final state's variables: loading a copy imports them, a re-run does), ms: counted once
   * in `IPlannerInput.importsMs`, so not again in this execution's re-run cost. Absent: none.
   */
  importMs?: number;
  /**
   * What the decisions charge beyond its time for re-running it, ms (`RERUN_RISK_MS` when it made
   * objects of libraries, which re-runs reproduce least). Absent: nothing.
   */
  riskMs?: number;
}

/** Everything `plan()` needs. */
export interface IPlannerInput {
  objective: Objective;
  costModel: ICostModel;
  groups: IPlannerGroup[];
  executions: IPlannerExecution[];
  /**
   * Imports every restore of this state pays, ms on the source (the sum of the executions'
   * `importMs`): fixed restore work, like verifying. Absent: none.
   */
  importsMs?: number;
  /**
   * What the previous plan of the same history decided per group: kept unless the best decisions
   * are cheaper by more than the stability margin (stability.ts).
   */
  previous?: PreviousDecisions;
}
