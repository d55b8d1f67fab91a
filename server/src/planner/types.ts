/**
 * Types of the replication planner: its input (built from the AHG by `fromGraph`, or by hand)
 * and the plan it returns (the JSON that the companion serves and the CLI prints).
 */
import { ICostModel } from './costs';
import type { IStability, PreviousDecisions } from './stability';

/** What the plan optimises (docs/method.md section 3). */
export type Objective = 'fast-migrate' | 'fast-restore' | 'balanced';

/** The objectives, for validation and help texts. */
export const OBJECTIVES: readonly Objective[] = ['fast-migrate', 'fast-restore', 'balanced'];

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

/** Times of a plan (or a baseline) under the cost model, in milliseconds. */
export interface IEstimate {
  /** Serialize and write/transfer the copied groups on the source machine. */
  migrateMs: number;
  /** Read and deserialize the copied groups, and re-run the planned executions, on the target. */
  restoreMs: number;
  /** `migrateMs + restoreMs`. */
  totalMs: number;
  /** The weighted cost the objective minimises (`weights.migrate * migrateMs + weights.restore * restoreMs`). */
  objectiveCost: number;
  /**
   * Of `migrateMs` and `restoreMs`, the work no decision changes (planning, fingerprints, commit;
   * manifest, verification), ms. Absent in plans made before it was priced.
   */
  fixed?: { migrateMs: number; restoreMs: number };
}

/** A baseline plan priced by the same model, or why it is impossible. */
export type IBaseline = ({ feasible: true } & IEstimate) | { feasible: false; reason: string };

/** The decision and costs of one group, as the plan explains them. */
export interface IGroupExplanation {
  members: string[];
  decision: 'copy' | 'recompute';
  sizeBytes: number;
  /** Time to copy the group (serialize, transfer out, transfer in, deserialize); null if impossible. */
  copyCostMs: number | null;
  /** Whether the group can be recomputed at all (no mark, external member or blocked history prevents it). */
  recomputable: boolean;
  /**
   * Time to re-run all of `req(g)` on the target on its own; null if the group is not recomputable,
   * or on very large graphs when it was not priced (see `IFeasiblePlan.notes`).
   */
  recomputeCostMs: number | null;
  /** Number of executions in `req(g)` (null when not priced). */
  requiredExecutions: number | null;
  /** Why this decision, in one sentence. */
  reason: string;
}

/** A replication plan that can be carried out. */
export interface IFeasiblePlan {
  feasible: true;
  objective: Objective;
  /** Names of the copied variables, sorted. */
  copy: string[];
  /** Execution indices to re-run at restore, ascending. */
  rerun: number[];
  groups: IGroupExplanation[];
  estimate: IEstimate;
  baselines: { copyAll: IBaseline; recomputeAll: IBaseline };
  /** The cost model the plan was priced with, including which numbers were measured. */
  costModel: ICostModel;
  /** Remarks on the plan's explanation (for instance groups whose standalone cost was not priced). */
  notes: string[];
  /** How the plan relates to the previous plan of the same history, when there was one. */
  stability?: IStability;
  /** Planning time in milliseconds. */
  planMs: number;
}

/** Why no finite plan exists and what the user can do about it. */
export interface IInfeasibility {
  /** Variables that can be neither copied nor recomputed, sorted. */
  variables: string[];
  /** Executions that block recomputing them (cannot or must not be re-run), ascending. */
  executions: number[];
  /** One paragraph for the user. */
  message: string;
  /** Concrete actions, one per cause. */
  suggestions: string[];
}

/** The answer when no finite plan exists. */
export interface IInfeasiblePlan {
  feasible: false;
  objective: Objective;
  infeasibility: IInfeasibility;
  planMs: number;
}

/** The result of `plan()`. */
export type Plan = IFeasiblePlan | IInfeasiblePlan;
