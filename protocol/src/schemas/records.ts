/**
 * The execution records the kernel agent posts to the companion (docs/internals.md section 4):
 * one per recorded cell execution, in batches of consecutive `seq`.
 */
import { z } from 'zod';
import { idSchema } from './ids';

const variableName = z.string().min(1, 'variable names cannot be empty').max(1000);

/** What the agent measured about a variable a cell wrote. */
export const variableInfoSchema = z
  .object({
    /** `module.qualname` of the value's type. */
    type: z.string().max(1000).optional(),
    /** Estimated serialized size in bytes. */
    size: z.number().nonnegative().optional(),
    /** False when the value looked unserializable (generators, open files, locks...). */
    serializable: z.boolean().optional(),
    /** True when the value was compared only by a sampled hash. */
    needsFullCheck: z.boolean().optional(),
    /** For a class or function: the module defining it (loading it imports that module). */
    definedIn: z.string().max(1000).optional()
  })
  .passthrough();

/** What the agent measured about a variable a cell wrote. */
export type IVariableInfo = z.infer<typeof variableInfoSchema>;

/** One execution record. */
export const executionRecordSchema = z
  .object({
    seq: z.number().int().nonnegative(),
    cellIndex: z.number().int().nonnegative().nullable().optional(),
    cellId: z.string().max(256).nullable().optional(),
    executionCount: z.number().int().nullable().optional(),
    code: z.string(),
    startedAtMs: z.number(),
    durationMs: z.number().nonnegative(),
    error: z.string({ error: "must be null or the exception's one-line summary (a string)" }).nullable(),
    reads: z.array(variableName),
    writes: z.array(variableName),
    deletes: z.array(variableName),
    /** Linked groups among all live user variables after the execution. */
    groups: z.array(z.array(variableName).min(1, 'a group cannot be empty')),
    variables: z.record(variableName, variableInfoSchema).optional(),
    /** Variables compared only by a sampled hash: the checkpoint-time full check must hash them whole. */
    needsFullCheck: z.array(variableName).optional(),
    agentMs: z.number().nonnegative().optional(),
    /** Variables changed in place (same object before and after): their old version is an input. */
    modified: z.array(variableName).optional(),
    /** The cell drew fresh entropy from the OS (an unseeded generator of its own): never re-run it. */
    nondeterministic: z.boolean().optional(),
    /** How many modules the cell loaded into `sys.modules` (absent: none). */
    modulesLoaded: z.number().int().nonnegative().optional(),
    /** The top-level packages among them, outside the standard library (absent: none). */
    packagesLoaded: z.array(z.string().min(1).max(200)).max(10000).optional()
  })
  .passthrough()
  .superRefine((record, ctx) => {
    const seen = new Set<string>();
    record.groups.forEach((group, g) =>
      group.forEach((name, i) => {
        if (seen.has(name)) {
          ctx.addIssue({ code: 'custom', path: ['groups', g, i], message: `${name} is in more than one group` });
        }
        seen.add(name);
      })
    );
  });

/** One recorded cell execution, as posted by the agent. */
export type IExecutionRecord = z.infer<typeof executionRecordSchema>;

/** The body of `POST /api/kernels/:kernelId/records`. */
export const recordBatchSchema = z
  .object({
    runId: idSchema,
    records: z.array(executionRecordSchema).max(10_000)
  })
  .superRefine((batch, ctx) => {
    batch.records.forEach((record, i) => {
      if (i > 0 && record.seq !== batch.records[i - 1].seq + 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['records', i, 'seq'],
          message: `seq must follow the previous record's (${batch.records[i - 1].seq + 1}), got ${record.seq}`
        });
      }
    });
  });

/** A batch of records. */
export type RecordBatch = z.infer<typeof recordBatchSchema>;

/** The companion's answer to a batch, and to `GET .../records/next`: the seq it expects next. */
export const nextSeqSchema = z.object({ nextSeq: z.number().int().nonnegative() });

/** The seq the companion expects next. */
export type INextSeq = z.infer<typeof nextSeqSchema>;
