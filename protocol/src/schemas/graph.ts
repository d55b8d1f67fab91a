/**
 * The Application History Graph as the companion serves it and the CLI prints it
 * (`GET kernels/<id>/graph`, docs/internals.md section 6): the recorded cell executions of one
 * kernel process and the variable snapshots they produced.
 */
import { z } from 'zod';
import { variableInfoSchema } from './records';

const names = z.array(z.string());

/** One recorded cell execution. */
export const graphExecutionSchema = z.object({
  /** Position in execution order, from 0. */
  index: z.number().int().nonnegative(),
  /** The cell's 0-based position in the notebook when it ran, if known. */
  cellIndex: z.number().int().nullable(),
  cellId: z.string().nullable(),
  executionCount: z.number().int().nullable(),
  code: z.string(),
  startedAtMs: z.number(),
  durationMs: z.number(),
  /** null, or the exception's one-line summary (`"ValueError: bad value"`). */
  error: z.string().nullable(),
  reads: names,
  /** Variables created, rebound or modified in place. */
  writes: names,
  deletes: names,
  /** Variables this execution compared only by a sampled hash. */
  needsFullCheck: names,
  /** Its results depend on fresh OS entropy: a re-run would not reproduce them. */
  nondeterministic: z.boolean(),
  /** How many modules the cell loaded into `sys.modules`: only such a cell paid for imports. */
  modulesLoaded: z.number().int().nonnegative(),
  /** The libraries (top-level packages, standard library left out) the cell loaded first. */
  packagesLoaded: names,
  /** The snapshots it read. */
  inputs: z.array(z.object({ name: z.string(), version: z.number().int() })),
  agentMs: z.number().nullable()
});

/** One recorded cell execution. */
export type IGraphExecution = z.infer<typeof graphExecutionSchema>;

/** One variable snapshot: a variable name at a version. */
export const graphVariableSchema = z.object({
  name: z.string(),
  version: z.number().int(),
  /** The execution that produced it (null: it existed before recording started). */
  producedBy: z.number().int().nullable(),
  /** Whether it is the latest version of a live variable. */
  active: z.boolean(),
  info: variableInfoSchema.nullable()
});

/** One variable snapshot. */
export type IGraphVariable = z.infer<typeof graphVariableSchema>;

/** The history graph of a kernel's current run. */
export const historyGraphSchema = z.object({
  kernelId: z.string(),
  runId: z.string(),
  executions: z.array(graphExecutionSchema),
  variables: z.array(graphVariableSchema),
  /** Linked groups among the active variables; each active variable is in exactly one. */
  groups: z.array(names)
});

/** The history graph of a kernel's current run. */
export type IHistoryGraph = z.infer<typeof historyGraphSchema>;
