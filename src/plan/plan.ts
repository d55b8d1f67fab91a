/**
 * The replication plan as the companion serves it (`POST kernels/<id>/plan`, docs/internals.md
 * section 5; the planner's `Plan` in server/src/planner/types.ts): the fields the panel shows.
 */

/** What the plan optimises. */
export type Objective = 'fast-migrate' | 'fast-restore' | 'balanced';

/** The objectives with their labels, in the order the selector lists them. */
export const OBJECTIVE_LABELS: ReadonlyArray<{ value: Objective; label: string }> = [
  { value: 'balanced', label: 'Balanced' },
  { value: 'fast-migrate', label: 'Fast migrate' },
  { value: 'fast-restore', label: 'Fast restore' }
];

/** Migration and restoration times of a plan, in milliseconds. */
export interface IPlanEstimate {
  migrateMs: number;
  restoreMs: number;
  totalMs: number;
}

/** A baseline priced by the same model, or why it is impossible. */
export type PlanBaseline = ({ feasible: true } & IPlanEstimate) | { feasible: false; reason: string };

/** One linked group's decision and what it costs. */
export interface IGroupDecision {
  members: string[];
  decision: 'copy' | 'recompute';
  sizeBytes: number;
  /** Time to copy it; null when it cannot be copied. */
  copyCostMs: number | null;
  recomputable: boolean;
  /** Time to re-run what recomputing it alone needs; null when not recomputable or not priced. */
  recomputeCostMs: number | null;
  requiredExecutions: number | null;
  /** Why, in one sentence. */
  reason: string;
}

/** Which kernel run a plan is for. */
interface IPlanOf {
  kernelId: string;
  runId: string;
  /** Number of recorded executions the plan covers. */
  executions: number;
  objective: Objective;
  planMs: number;
}

/** A plan that can be carried out. */
export interface IFeasiblePlan extends IPlanOf {
  feasible: true;
  copy: string[];
  rerun: number[];
  groups: IGroupDecision[];
  estimate: IPlanEstimate;
  baselines: { copyAll: PlanBaseline; recomputeAll: PlanBaseline };
  costModel: { measured: string[] };
  notes: string[];
}

/** No plan can restore the session, and what the user can do about it. */
export interface IInfeasiblePlan extends IPlanOf {
  feasible: false;
  infeasibility: {
    variables: string[];
    executions: number[];
    message: string;
    suggestions: string[];
  };
}

/** What the plan route answers. */
export type PlanResponse = IFeasiblePlan | IInfeasiblePlan;
