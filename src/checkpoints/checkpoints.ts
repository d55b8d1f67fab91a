/**
 * Checkpoints and jobs as the companion serves them (server/src/routes/checkpoints.ts,
 * docs/internals.md section 5): the fields the panel and the notifications show.
 */
import { Objective } from '../plan/plan';

/** What a job does. */
export type JobKind = 'checkpoint' | 'restore';

/** Where a job is. */
export type JobState = 'running' | 'done' | 'failed' | 'cancelled';

/** One step a job went through. */
export interface IJobStep {
  message: string;
  /** ISO 8601 time the step started. */
  at: string;
}

/** A checkpoint or restore running (or finished) in the companion. */
export interface IJob {
  id: string;
  kind: JobKind;
  kernelId: string;
  /** The bundle written or read. */
  uri: string;
  state: JobState;
  steps: IJobStep[];
  /** Bytes of the current transfer, when one is under way. */
  progress: { bytesDone: number; bytesTotal: number } | null;
  cancelRequested: boolean;
  /** {@link ICheckpointResult} or {@link IRestoreResult} once done. */
  result: unknown;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
}

/** A group recomputed although it was meant to be copied, and why. */
export interface IReplanned {
  members: string[];
  reason: string;
}

/** What a finished checkpoint job answers. */
export interface ICheckpointResult {
  bundle: string;
  checkpointId: string;
  plan: { objective: Objective; copy: string[]; rerun: number[] };
  replanned: IReplanned[];
  executions: number;
  bytes: number;
  timings: { totalMs: number };
}

/** What a finished restore job answers. */
export interface IRestoreResult {
  bundle: string;
  checkpointId: string;
  loaded: string[];
  rerun: number[];
  fallback: IReplanned[];
  verification: { ok: boolean; differ: string[]; missing: string[]; unexpected: string[]; notCompared: string[] };
  timings: { totalMs: number };
}

/** A readable checkpoint in a listing. */
export interface ICheckpointSummary {
  uri: string;
  error: null;
  checkpointId: string;
  /** ISO 8601 creation time. */
  createdAt: string;
  notebookPath: string | null;
  kernelName: string | null;
  bytes: number;
  copiedVariables: number;
  objective: string | null;
}

/** A bundle in a listing that cannot be read. */
export interface IUnreadableCheckpoint {
  uri: string;
  error: string;
  code: string;
}

/** An entry of a listing. */
export type CheckpointEntry = ICheckpointSummary | IUnreadableCheckpoint;

/** `GET checkpoints`: the root listed and what is in it, newest first. */
export interface ICheckpointList {
  root: string;
  checkpoints: CheckpointEntry[];
}

/** Whether a listing entry is a readable checkpoint. */
export function isReadable(entry: CheckpointEntry): entry is ICheckpointSummary {
  return entry.error === null;
}
