import { z } from 'zod';

/** Kernel and run ids become folder and file names: allow only characters that cannot escape. */
export const idSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/,
    'must be 1-128 letters, digits, "_", "-" or "." and not start with "."'
  );

const variableName = z.string().min(1, 'variable names cannot be empty').max(1000);

const variableInfo = z
  .object({
    type: z.string().max(1000).optional(),
    size: z.number().nonnegative().optional(),
    serializable: z.boolean().optional(),
    needsFullCheck: z.boolean().optional(),
    definedIn: z.string().max(1000).optional()
  })
  .passthrough();

/** One execution record (docs/internals.md section 4). */
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
    groups: z.array(z.array(variableName).min(1, 'a group cannot be empty')),
    variables: z.record(variableName, variableInfo).optional(),
    needsFullCheck: z.array(variableName).optional(),
    agentMs: z.number().nonnegative().optional(),
    modified: z.array(variableName).optional(),
    nondeterministic: z.boolean().optional(),
    modulesLoaded: z.number().int().nonnegative().optional(),
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

export type RecordBatch = z.infer<typeof recordBatchSchema>;

/** One line naming the first problems of a failed validation: `records.0.durationMs: ...`. */
export function describeIssues(error: z.ZodError, prefix = ''): string {
  return error.issues
    .slice(0, 3)
    .map(issue => {
      const where = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
      return `${where || 'request body'}: ${issue.message}`;
    })
    .join('; ');
}
