/**
 * The body of every error answer of the companion's and the server extension's routes: `error`
 * says what went wrong in one line; some routes add what the caller needs to go on.
 */
import { z } from 'zod';

/** `{"error": "..."}`, with the optional fields some routes add. */
export const errorBodySchema = z.looseObject({
  /** What went wrong, in one line. */
  error: z.string(),
  /** 409 on records: the seq the companion expects next. */
  nextSeq: z.number().int().nonnegative().optional(),
  /** 409 on a busy kernel or bundle: the job in the way. */
  jobId: z.string().optional(),
  /** 400 on a restore from outside the checkpoint root: the user must confirm it. */
  trustRequired: z.boolean().optional(),
  /** 409 on a migration: a different notebook is at that path on the target; the user must confirm replacing it. */
  notebookExists: z.boolean().optional()
});

/** An error answer's body. */
export type IErrorBody = z.infer<typeof errorBodySchema>;
