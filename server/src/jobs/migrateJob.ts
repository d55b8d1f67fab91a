/**
 * The migrate job: move a live kernel's session to another Jupyter server running this extension
 * (docs/internals.md, "A migration, end to end"). It checks the target first (reachable, token
 * accepted, extension present, no different notebook in the way), copies the notebook, opens a
 * transfer on the target that starts the restore's kernel and imports the session's modules at
 * once, and checkpoints the kernel into a staging bundle in the companion's data folder while
 * each payload file goes to the target companion as soon as it is written (checksummed chunks,
 * resuming after a cut connection; the manifest last: migratePipeline.ts). Then it asks the target
 * to restore into that prepared session and follows the target's job.
 *
 * The source kernel is only read (a checkpoint), so whatever fails, it keeps running as it was;
 * the staging bundle is removed at the end, and after a failure or a cancel the target keeps
 * nothing: its incoming folder and prepared session are removed, a notebook this job created is
 * removed, and the target ends the session it opened.
 */
import { recordBandwidth } from '../targets/bandwidthLog';
import { promises as fs } from 'fs';
import path from 'path';
import { performance } from 'perf_hooks';
import { randomBytes } from 'crypto';
import type {
  IIncomingRestoreStarted,
  IJob,
  IMigrateJobResult,
  IPreparedTimes,
  IRestoreJobResult
} from '@elastic-notebook/protocol';
import { errorMessage } from '../bundle/errors';
import { MigrationError } from '../migrate/migrationError';
import { Objective } from '../planner/index';
import { copyNotebook, notebookExistsMessage, notebookOnTarget, removeNotebook } from '../transfer/notebookCopy';
import { INCOMING_API } from '../transfer/sendFiles';
import { TargetClient } from '../transfer/targetClient';
import type { MigrationTarget } from '../transfer/targets';
import { ICheckpointJobServices } from './checkpointJob';
import { migrateThroughHub } from './hubStep';
import { IJobContext } from './job';
import { checkpointWhileSending, openTransfer, pipelineOf, timed } from './migratePipeline';

/** Folder of the data folder holding staging bundles of migrations under way. */
export const OUTGOING_DIR = 'outgoing';

/** What the migrate job needs from the companion. */
export interface IMigrateJobServices extends ICheckpointJobServices {
  /** The companion's data folder (staging bundles go to `<dataDir>/outgoing/`). */
  dataDir: string;
  /** Bytes per chunk sent (default 8 MiB). */
  chunkBytes?: number;
  /** How often the target's job is polled, ms (default 250). */
  pollMs?: number;
}

/** One migration to make. */
export interface IMigrateJobRequest {
  kernelId: string;
  target: MigrationTarget;
  objective: Objective;
  marks?: unknown;
  /** The notebook's path relative to the Jupyter root, `/`-separated; the same path on the target. */
  notebookPath: string;
  kernelName: string | null;
  overwrite: boolean;
}

/** What is left to undo on the target should the migration fail. */
interface IUndo {
  transferId: string | null;
  notebookCreated: boolean;
  targetJob: string | null;
  /** The target's session for the restored kernel, until the migration succeeded. */
  targetSession: string | null;
}

/** Migrate `request.kernelId`'s session to `request.target`. */
export async function runMigrateJob(
  services: IMigrateJobServices,
  request: IMigrateJobRequest,
  context: IJobContext
): Promise<IMigrateJobResult> {
  if (request.target.kind === 'jupyterhub') {
    // A Hub target: start its server first (stopped again should the migration fail), then migrate to it.
    return migrateThroughHub(request.target, context, target =>
      runMigrateJob(services, { ...request, target }, context)
    );
  }
  const started = performance.now();
  const client = new TargetClient(request.target);
  const { signal } = context;
  const staging = path.join(services.dataDir, OUTGOING_DIR, randomBytes(8).toString('hex'));
  const undo: IUndo = { transferId: null, notebookCreated: false, targetJob: null, targetSession: null };
  try {
    const { value: notebook, span: check } = await timed(() => checkTarget(client, request, services.baseDir, context));

    // The notebook first: the session the target prepares binds it.
    if (notebook.existing !== 'same') {
      context.step(`copying ${request.notebookPath} to ${client.label}`);
      await copyNotebook(client, request.notebookPath, notebook.text, signal);
      undo.notebookCreated = notebook.existing === 'absent';
    }
    signal.throwIfAborted();

    // The target starts its kernel and imports while this side checkpoints and sends each file.
    context.step(`asking ${client.label} to start a kernel for ${request.notebookPath}`);
    undo.transferId = await openTransfer(client, services, request, signal);
    const sent = await checkpointWhileSending(client, undo.transferId, services, request, staging, context);
    signal.throwIfAborted();

    const t2 = performance.now();
    const restoreAt = Date.now();
    context.step(`restoring on ${client.label}`);
    const restore = await client.json<IIncomingRestoreStarted>(`${INCOMING_API}/${undo.transferId}/restore`, {
      method: 'POST',
      json: { notebookPath: request.notebookPath, ...(request.kernelName ? { kernelName: request.kernelName } : {}) },
      signal
    });
    // From here the target owns the incoming folder: its job removes it whatever happens.
    undo.transferId = null;
    undo.targetJob = restore.jobId;
    undo.targetSession = restore.sessionId;
    // The payloads still queued arrive while the target restores (it loads each once it is there).
    const [files, restored] = await Promise.all([
      sent.sender.finish(),
      followTargetJob(client, restore.jobId, context, services.pollMs ?? 250)
    ]);
    signal.throwIfAborted();
    const send = sent.sender.span ?? { startAt: sent.checkpoint.endAt, endAt: sent.checkpoint.endAt };
    // The target listing shows the bandwidth real transfers measured (a probe only before the first).
    await recordBandwidth(services.dataDir, request.target.name, sent.sender.bytes, send.endAt - send.startAt);
    undo.targetJob = null;
    undo.targetSession = null;
    const restoreMs = performance.now() - t2;
    const prepared = (restored as { prepared?: IPreparedTimes | null }).prepared;

    return {
      target: request.target.name,
      kernelId: restore.kernelId,
      sessionId: restore.sessionId,
      notebookUrl: new URL(
        `lab/tree/${request.notebookPath.split('/').map(encodeURIComponent).join('/')}`,
        request.target.url
      ).href,
      notebookPath: request.notebookPath,
      checkpointId: sent.checkpointed.checkpointId,
      plan: sent.checkpointed.plan,
      bytes: sent.sender.bytes,
      verification: restored.verification,
      timings: {
        checkpointMs: sent.checkpoint.endAt - sent.checkpoint.startAt,
        transferMs: send.endAt - send.startAt,
        restoreMs,
        totalMs: performance.now() - started
      },
      pipeline: pipelineOf(
        { check, restore: { startAt: restoreAt, endAt: Date.now() } },
        { ...sent, files, send },
        prepared
      )
    };
  } catch (err) {
    await undoOnTarget(client, undo, request.notebookPath, context);
    if (signal.aborted) {
      throw new MigrationError(`migration to ${client.label} cancelled; this session is untouched`);
    }
    throw new MigrationError(
      `migration to ${client.label} failed: ${errorMessage(err)} (this session is untouched)`,
      err instanceof MigrationError ? err.code : undefined
    );
  } finally {
    await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * Check the target (reachable, token accepted, extension present) and that no different notebook
 * is in the way unless overwriting was asked for; answers the notebook's text and what the target has.
 */
async function checkTarget(
  client: TargetClient,
  request: IMigrateJobRequest,
  baseDir: string,
  context: IJobContext
): Promise<{ text: string; existing: Awaited<ReturnType<typeof notebookOnTarget>> }> {
  context.step(`checking the target ${client.label}`);
  await client.check(context.signal);
  const text = await readNotebook(baseDir, request.notebookPath);
  const existing = await notebookOnTarget(client, request.notebookPath, text, context.signal);
  if (existing === 'different' && !request.overwrite) {
    throw new MigrationError(notebookExistsMessage(request.notebookPath, client.label), 'notebook-exists');
  }
  return { text, existing };
}

/** The notebook's text, read from the Jupyter root (the path cannot leave it: the route checked). */
async function readNotebook(baseDir: string, relative: string): Promise<string> {
  const file = path.resolve(baseDir, ...relative.split('/'));
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new MigrationError(`cannot read the notebook ${relative}: ${errorMessage(err)}`);
  }
}

/** Poll the target's restore job until it ends, relaying its steps and progress. */
async function followTargetJob(
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
async function undoOnTarget(
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
