/**
 * Checkpoints as the companion lists them (server/src/routes/checkpoints.ts, docs/internals.md
 * section 5); the shapes are the wire contract's (`@elastic-notebook/protocol`).
 */
import type { CheckpointEntry, ICheckpointSummary } from '@elastic-notebook/protocol';

/** Whether a listing entry is a readable checkpoint. */
export function isReadable(entry: CheckpointEntry): entry is ICheckpointSummary {
  return entry.error === null;
}
