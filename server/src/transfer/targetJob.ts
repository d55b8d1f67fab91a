/**
 * Following and undoing a migration's restore on the target (docs/internals.md, "A migration,
 * end to end"): the source polls the target's restore job, relaying its steps, and after a
 * failure or a cancel leaves nothing there.
 */
import type { IIncomingRestoreStarted, IJob, IMigrateJobResult, IRestoreJobResult } from '@elastic-notebook/protocol';
import { errorMessage } from '../bundle/errors';
import type { ICheckpointJobResult } from '../jobs/checkpointJob';
import type { IJobContext } from '../jobs/job';
import { MigrationError } from '../migrate/migrationError';
import { removeNotebook } from './notebookCopy';
import { INCOMING_API } from './sendFiles';
import { TargetClient } from './targetClient';
import { ITarget, notebookUrlOn } from './targets';

/** What is left to undo on the target should the migration fail. */
export interface IUndo {
  transferId: string | null;
  notebookCreated: boolean;
  targetJob: string | null;
  /** The target's session for the restored kernel, until the migration succeeded. */
  targetSession: string | null;
}

/**
 * Follow the restore the target started until it ends, with its job and session in `undo` until
 * then (a failure or a cancel meanwhile ends them).
 */
export async function followTargetRestore(
  client: TargetClient,
  restore: IIncomingRestoreStarted,
  undo: IUndo,
  context: IJobContext,
  pollMs: number
): Promise<IRestoreJobResult> {
  undo.targetJob = restore.jobId;
  undo.targetSession = restore.sessionId;
  const restored = await followTargetJob(client, restore.jobId, context, pollMs);
  context.signal.throwIfAborted();
  undo.targetJob = null;
  undo.targetSession = null;
  return restored;
}

/** The fields of a migrate result naming where the session is now and what was checkpointed. */
export function restoredOn(
  request: { target: ITarget; notebookPath: string },
  restore: IIncomingRestoreStarted,
  checkpointed: Pick<ICheckpointJobResult, 'checkpointId' | 'plan'>
): Pick<
  IMigrateJobResult,
  'target' | 'kernelId' | 'sessionId' | 'notebookUrl' | 'notebookPath' | 'checkpointId' | 'plan'
> {
  return {
    target: request.target.name,
    kernelId: restore.kernelId,
    sessionId: restore.sessionId,
    notebookUrl: notebookUrlOn(request.target.url, request.notebookPath),
    notebookPath: request.notebookPath,
    checkpointId: checkpointed.checkpointId,
    plan: checkpointed.plan
  };
}

/** Poll the target's restore job until it ends, relaying its steps and progress. */
export async function followTargetJob(
  client: TargetClient,
  jobId: string,
  context: IJobContext,
  pollMs: number
): Promise<IRestoreJobResult> {
  let relayed = 0;
  for (;;) {
    context.signal.throwIfAborted();
    const job = await client.json<IJob>(`elastic-notebook/api/jobs/${encodeURIComponent(jobId)}`, {
      signal: context.signal
    });
    for (const step of job.steps.slice(relayed)) {
      context.step(`${client.target.name}: ${step.message}`);
    }
    relayed = job.steps.length;
    if (job.progress) {
      context.progress(job.progress.bytesDone, job.progress.bytesTotal);
    }
    if (job.state === 'done') {
      return job.result as IRestoreJobResult;
    }
    if (job.state !== 'running') {
      throw new MigrationError(
        `the restore on the target ${job.state === 'cancelled' ? 'was cancelled' : 'failed'}: ${job.error ?? 'no reason given'}`
      );
    }
    await new Promise(resolve => setTimeout(resolve, pollMs));
  }
}

/** Leave nothing on the target after a failure or a cancel (best effort: the error says what failed first). */
export async function undoOnTarget(
  client: TargetClient,
  undo: IUndo,
  notebookPath: string,
  context: IJobContext
): Promise<void> {
  const attempts: Array<Promise<unknown>> = [];
  if (undo.targetJob) {
    attempts.push(cancelTargetJob(client, undo.targetJob, undo.targetSession));
  }
  if (undo.transferId) {
    attempts.push(client.call(`${INCOMING_API}/${undo.transferId}`, { method: 'DELETE', accept: [404] }));
  }
  if (undo.notebookCreated) {
    attempts.push(removeNotebook(client, notebookPath));
  }
  const results = await Promise.allSettled(attempts);
  for (const result of results) {
    if (result.status === 'rejected') {
      context.step(`cleaning up on ${client.label} failed: ${errorMessage(result.reason)}`);
    }
  }
}

/**
 * Cancel the target's restore job. A failed or cancelled target job ends its session and removes
 * the incoming folder itself; one that finished meanwhile is answered 409, and its session
 * (holding a session the user gave up on) is ended here.
 */
async function cancelTargetJob(client: TargetClient, jobId: string, sessionId: string | null): Promise<void> {
  const cancel = await client.call(`elastic-notebook/api/jobs/${encodeURIComponent(jobId)}/cancel`, {
    method: 'POST',
    accept: [409]
  });
  const answer = (await cancel.json().catch(() => null)) as { job?: { state?: string } } | null;
  if (cancel.status === 409 && answer?.job?.state === 'done' && sessionId) {
    const ended = await client.call(`api/sessions/${encodeURIComponent(sessionId)}`, {
      method: 'DELETE',
      accept: [404]
    });
    await ended.arrayBuffer();
  }
}
