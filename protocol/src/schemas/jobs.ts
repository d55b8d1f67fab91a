/**
 * A long operation (a checkpoint or a restore) running in the companion, as the job routes answer
 * it and the UI polls it (docs/internals.md section 5).
 */
import { z } from 'zod';

/** What a job does. */
export const jobKindSchema = z.enum(['checkpoint', 'restore', 'migrate']);

/** What a job does. */
export type JobKind = z.infer<typeof jobKindSchema>;

/** Where a job is: `running` until it ends `done`, `failed` or `cancelled`. */
export const jobStateSchema = z.enum(['running', 'done', 'failed', 'cancelled']);

/** Where a job is. */
export type JobState = z.infer<typeof jobStateSchema>;

/** One step of a job, as the orchestrator announced it. */
export const jobStepSchema = z.object({
  message: z.string(),
  /** ISO 8601 time the step started. */
  at: z.string()
});

/** One step of a job. */
export type IJobStep = z.infer<typeof jobStepSchema>;

/** Byte progress of the current transfer. */
export const jobProgressSchema = z.object({ bytesDone: z.number(), bytesTotal: z.number() });

/** Byte progress of the current transfer. */
export type IJobProgress = z.infer<typeof jobProgressSchema>;

/** A job as the routes answer it. */
export const jobSchema = z.object({
  id: z.string(),
  kind: jobKindSchema,
  kernelId: z.string(),
  /** The bundle written or read. */
  uri: z.string(),
  state: jobStateSchema,
  steps: z.array(jobStepSchema),
  /** Bytes of the current transfer, when one is under way. */
  progress: jobProgressSchema.nullable(),
  /** Whether a cancel was asked for (the job stops at its next safe point). */
  cancelRequested: z.boolean(),
  /** The checkpoint's or restore's result once done (`checkpointJobResultSchema`, `restoreJobResultSchema`). */
  result: z.unknown(),
  error: z.string().nullable(),
  /**
   * Why a job failed, when the UI can act on it: `notebook-exists` (a migration found a different
   * notebook at the same path on the target; the user may confirm replacing it). Absent otherwise.
   */
  errorCode: z.enum(['notebook-exists']).optional(),
  /** ISO 8601 times. */
  createdAt: z.string(),
  finishedAt: z.string().nullable()
});

/** A job as the routes answer it. */
export type IJob = z.infer<typeof jobSchema>;

/** What starting a checkpoint or restore answers. */
export const startedJobSchema = z.object({ jobId: z.string(), uri: z.string() });

/** A job the companion started. */
export type IStartedJob = z.infer<typeof startedJobSchema>;
