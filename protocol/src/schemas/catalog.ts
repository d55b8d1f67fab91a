/** Checkpoints as the listing routes and the CLI's `list` and `describe` show them. */
import { z } from 'zod';

/** One readable checkpoint. */
export const checkpointSummarySchema = z.object({
  /** The bundle's URI. */
  uri: z.string(),
  /** Always null: the bundle is readable. */
  error: z.null(),
  checkpointId: z.string(),
  /** ISO 8601 creation time. */
  createdAt: z.string(),
  formatVersion: z.number().int(),
  /** The checkpointed notebook's path, when known. */
  notebookPath: z.string().nullable(),
  kernelName: z.string().nullable(),
  /** Payload bytes: copied groups, execution history and random states. */
  bytes: z.number(),
  /** Number of variables stored by value (the rest is recomputed at restore). */
  copiedVariables: z.number().int(),
  /** The plan's objective, when the plan records one. */
  objective: z.string().nullable()
});

/** One readable checkpoint. */
export type ICheckpointSummary = z.infer<typeof checkpointSummarySchema>;

/** A bundle found in a listing that cannot be read. */
export const unreadableCheckpointSchema = z.object({
  uri: z.string(),
  /** Why it cannot be read (one line, names the bundle). */
  error: z.string(),
  /** The bundle error's code (`corrupt`, `newer-format`, `io`...). */
  code: z.string(),
  /** The bundle's format version, when known (for 'newer-format'). */
  formatVersion: z.number().int().nullable()
});

/** A bundle found in a listing that cannot be read. */
export type IUnreadableCheckpoint = z.infer<typeof unreadableCheckpointSchema>;

/** An entry of a listing: readable (`error === null`) or not. */
export const checkpointEntrySchema = z.union([checkpointSummarySchema, unreadableCheckpointSchema]);

/** An entry of a listing. */
export type CheckpointEntry = z.infer<typeof checkpointEntrySchema>;

/** `GET checkpoints`: the root listed and what is in it, newest first. */
export const checkpointListSchema = z.object({ root: z.string(), checkpoints: z.array(checkpointEntrySchema) });

/** `GET checkpoints`: the root listed and what is in it. */
export type ICheckpointList = z.infer<typeof checkpointListSchema>;
