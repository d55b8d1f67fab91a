/**
 * What a finished checkpoint or restore job holds as its `result` (and the CLI prints as JSON):
 * the fields the panel and the notifications read. The companion's results carry more.
 */
import { z } from 'zod';
import { verifyResultSchema } from './agentReplies';
import { objectiveSchema } from './objective';

/** A group recomputed although it was meant to be copied, and why. */
export const replannedSchema = z.object({ members: z.array(z.string()), reason: z.string() });

/** A group recomputed although it was meant to be copied, and why. */
export type IReplanned = z.infer<typeof replannedSchema>;

/** What a finished checkpoint job answers. */
export const checkpointJobResultSchema = z.looseObject({
  bundle: z.string(),
  checkpointId: z.string(),
  plan: z.looseObject({ objective: objectiveSchema, copy: z.array(z.string()), rerun: z.array(z.number().int()) }),
  /** Groups that looked serializable to the recorder but failed to serialize, and were replanned. */
  replanned: z.array(replannedSchema),
  /** Executions in the checkpointed history. */
  executions: z.number().int(),
  /** Bytes written to the store. */
  bytes: z.number(),
  timings: z.looseObject({ totalMs: z.number() })
});

/** What a finished checkpoint job answers. */
export type ICheckpointJobResult = z.infer<typeof checkpointJobResultSchema>;

/** What a finished restore job answers. */
export const restoreJobResultSchema = z.looseObject({
  bundle: z.string(),
  checkpointId: z.string(),
  /** Variables loaded from payloads, sorted. */
  loaded: z.array(z.string()),
  /** Executions re-run, ascending. */
  rerun: z.array(z.number().int()),
  /** Groups recomputed although the checkpoint copied them. */
  fallback: z.array(replannedSchema),
  verification: verifyResultSchema,
  timings: z.looseObject({ totalMs: z.number() })
});

/** What a finished restore job answers. */
export type IRestoreJobResult = z.infer<typeof restoreJobResultSchema>;
