/**
 * The replication plan as the planner returns it, the companion serves it
 * (`POST kernels/<id>/plan`, docs/internals.md section 5) and the CLI prints it.
 */
import { z } from 'zod';
import { costModelSchema } from './costModel';
import { objectiveSchema } from './objective';

const names = z.array(z.string());
const indices = z.array(z.number().int().nonnegative());

/** Times of a plan (or a baseline) under the cost model, in milliseconds. */
export const estimateSchema = z.object({
  /** Serialize and write/transfer the copied groups on the source machine. */
  migrateMs: z.number(),
  /** Read and deserialize the copied groups, and re-run the planned executions, on the target. */
  restoreMs: z.number(),
  /** `migrateMs + restoreMs`. */
  totalMs: z.number(),
  /** The weighted cost the objective minimises (`weights.migrate * migrateMs + weights.restore * restoreMs`). */
  objectiveCost: z.number(),
  /**
   * Of `migrateMs` and `restoreMs`, the work no decision changes (planning, fingerprints, commit;
   * manifest, verification), ms. Absent in plans made before it was priced.
   */
  fixed: z.object({ migrateMs: z.number(), restoreMs: z.number() }).optional()
});

/** Times of a plan (or a baseline) under the cost model. */
export type IEstimate = z.infer<typeof estimateSchema>;

/** A baseline plan priced by the same model, or why it is impossible. */
export const baselineSchema = z.union([
  estimateSchema.extend({ feasible: z.literal(true) }),
  z.object({ feasible: z.literal(false), reason: z.string() })
]);

/** A baseline plan priced by the same model, or why it is impossible. */
export type IBaseline = z.infer<typeof baselineSchema>;

/** The decision and costs of one group, as the plan explains them. */
export const groupExplanationSchema = z.object({
  members: names,
  decision: z.enum(['copy', 'recompute']),
  sizeBytes: z.number(),
  /** Time to copy the group (serialize, transfer out, transfer in, deserialize); null if impossible. */
  copyCostMs: z.number().nullable(),
  /** Whether the group can be recomputed at all (no mark, external member or blocked history prevents it). */
  recomputable: z.boolean(),
  /**
   * Time to re-run all of `req(g)` on the target on its own; null if the group is not recomputable,
   * or on very large graphs when it was not priced (see the plan's `notes`).
   */
  recomputeCostMs: z.number().nullable(),
  /** Number of executions in `req(g)` (null when not priced). */
  requiredExecutions: z.number().int().nullable(),
  /** Why this decision, in one sentence. */
  reason: z.string()
});

/** The decision and costs of one group. */
export type IGroupExplanation = z.infer<typeof groupExplanationSchema>;

/** How a plan relates to the previous plan of the same history. */
export const stabilitySchema = z.object({
  /** Whether previous decisions were kept although other decisions were estimated cheaper. */
  kept: z.boolean(),
  /** Groups whose decision the best plan would have changed. */
  differing: z.number().int(),
  /** Weighted total cost of the previous decisions under the current estimates, ms. */
  previousCostMs: z.number(),
  /** Weighted total cost of the best decisions under the current estimates, ms. */
  bestCostMs: z.number(),
  /** The largest extra cost that keeps the previous decisions, ms. */
  allowedMs: z.number()
});

/** How a plan relates to the previous plan of the same history. */
export type IStability = z.infer<typeof stabilitySchema>;

/** A replication plan that can be carried out. */
export const feasiblePlanSchema = z.object({
  feasible: z.literal(true),
  objective: objectiveSchema,
  /** Names of the copied variables, sorted. */
  copy: names,
  /** Execution indices to re-run at restore, ascending. */
  rerun: indices,
  groups: z.array(groupExplanationSchema),
  estimate: estimateSchema,
  baselines: z.object({ copyAll: baselineSchema, recomputeAll: baselineSchema }),
  /** The cost model the plan was priced with, including which numbers were measured. */
  costModel: costModelSchema,
  /** Remarks on the plan's explanation (for instance groups whose standalone cost was not priced). */
  notes: z.array(z.string()),
  /** How the plan relates to the previous plan of the same history, when there was one. */
  stability: stabilitySchema.optional(),
  /** Planning time in milliseconds. */
  planMs: z.number()
});

/** A replication plan that can be carried out. */
export type IFeasiblePlan = z.infer<typeof feasiblePlanSchema>;

/** Why no finite plan exists and what the user can do about it. */
export const infeasibilitySchema = z.object({
  /** Variables that can be neither copied nor recomputed, sorted. */
  variables: names,
  /** Executions that block recomputing them (cannot or must not be re-run), ascending. */
  executions: indices,
  /** One paragraph for the user. */
  message: z.string(),
  /** Concrete actions, one per cause. */
  suggestions: z.array(z.string())
});

/** Why no finite plan exists. */
export type IInfeasibility = z.infer<typeof infeasibilitySchema>;

/** The answer when no finite plan exists. */
export const infeasiblePlanSchema = z.object({
  feasible: z.literal(false),
  objective: objectiveSchema,
  infeasibility: infeasibilitySchema,
  planMs: z.number()
});

/** The answer when no finite plan exists. */
export type IInfeasiblePlan = z.infer<typeof infeasiblePlanSchema>;

/** What the planner returns. */
export const planSchema = z.discriminatedUnion('feasible', [feasiblePlanSchema, infeasiblePlanSchema]);

/** What the planner returns. */
export type Plan = z.infer<typeof planSchema>;

/** Which kernel run a served plan is for. */
const planOf = {
  kernelId: z.string(),
  runId: z.string(),
  /** Number of recorded executions the plan covers. */
  executions: z.number().int().nonnegative()
};

/** What `POST kernels/<id>/plan` answers: the planner's plan, plus which kernel run it is for. */
export const planResponseSchema = z.discriminatedUnion('feasible', [
  feasiblePlanSchema.extend(planOf),
  infeasiblePlanSchema.extend(planOf)
]);

/** What the plan route answers. */
export type PlanResponse = z.infer<typeof planResponseSchema>;
