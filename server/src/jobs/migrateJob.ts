/**
 * The migrate job: move a live kernel's session to another Jupyter server running this extension
 * (docs/internals.md, "A migration, end to end"). It checks the target first (reachable, token
 * accepted, extension present, no different notebook in the way), checkpoints the kernel into a
 * staging bundle in the companion's data folder, sends the bundle's files straight to the target
 * companion in checksummed chunks (resuming after a cut connection), copies the notebook, asks the
 * target to restore into a new session bound to that notebook, and follows the target's job.
 *
 * The source kernel is only read (a checkpoint), so whatever fails, it keeps running as it was;
 * the staging bundle is removed at the end, and after a failure or a cancel the target keeps
 * nothing: its incoming folder is deleted, a notebook this job created is removed, and the target
 * ends the session it opened.
 */
import { recordBandwidth } from '../targets/bandwidthLog';
import { promises as fs } from 'fs';
import path from 'path';
import { performance } from 'perf_hooks';
import { randomBytes } from 'crypto';
import type { IIncomingRestoreStarted, IJob, IMigrateJobResult, IRestoreJobResult } from '@elastic-notebook/protocol';
import { manifestFiles, MANIFEST_FILE, parseManifestText } from '../bundle/manifest';
import { errorMessage } from '../bundle/errors';
import { MigrationError } from '../migrate/migrationError';
import { checkSessionModules, IModuleVersions } from '../migrate/targetModules';
import { Objective } from '../planner/index';
import { copyNotebook, notebookExistsMessage, notebookOnTarget, removeNotebook } from '../transfer/notebookCopy';
import { announce, INCOMING_API, outgoingFiles, sendFiles } from '../transfer/sendFiles';
import { TargetClient } from '../transfer/targetClient';
import type { ITarget } from '../transfer/targets';
import { ICheckpointJobServices, runCheckpointJob } from './checkpointJob';
import { IJobContext } from './job';

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
  /** This machine's module versions, compared with the target's (none: only presence is checked). */
  machine?: IModuleVersions;
}

/** One migration to make. */
export interface IMigrateJobRequest {
  kernelId: string;
  target: ITarget;
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
  const started = performance.now();
  const client = new TargetClient(request.target);
  const { signal } = context;
  const staging = path.join(services.dataDir, OUTGOING_DIR, randomBytes(8).toString('hex'));
  const undo: IUndo = { transferId: null, notebookCreated: false, targetJob: null, targetSession: null };
  try {
    context.step(`checking the target ${client.label}`);
    await client.check(signal);
    const text = await readNotebook(services.baseDir, request.notebookPath);
    const existing = await notebookOnTarget(client, request.notebookPath, text, signal);
    if (existing === 'different' && !request.overwrite) {
      throw new MigrationError(notebookExistsMessage(request.notebookPath, client.label), 'notebook-exists');
    }
    await checkSessionModules(services, request, client, context);

    const t0 = performance.now();
    const checkpointed = await runCheckpointJob(
      services,
      {
        kernelId: request.kernelId,
        uri: staging,
        objective: request.objective,
        marks: request.marks,
        notebookPath: path.resolve(services.baseDir, ...request.notebookPath.split('/')),
        kernelName: request.kernelName
      },
      context
    );
    const checkpointMs = performance.now() - t0;
    signal.throwIfAborted();

    const t1 = performance.now();
    context.step(`sending the checkpoint to ${client.label}`);
    const manifest = parseManifestText(await fs.readFile(path.join(staging, MANIFEST_FILE), 'utf8'), MANIFEST_FILE);
    const files = await outgoingFiles(
      [MANIFEST_FILE, ...manifestFiles(manifest).map(f => f.file)].map(file => ({
        path: file,
        source: path.join(staging, ...file.split('/'))
      }))
    );
    // Calls that create something on the target are never cut by a cancel half-way (the target
    // would keep what the sender never heard of); the cancel takes effect right after them.
    undo.transferId = await announce(client, files);
    signal.throwIfAborted();
    await sendFiles(client, undo.transferId, files, {
      chunkBytes: services.chunkBytes,
      signal,
      onProgress: (done, total) => context.progress(done, total),
      onRetry: message => context.step(message)
    });
    const transferMs = performance.now() - t1;
    const bytes = files.reduce((sum, file) => sum + file.bytes, 0);
    // The target listing shows the bandwidth real transfers measured (a probe only before the first).
    await recordBandwidth(services.dataDir, request.target.name, bytes, transferMs);

    if (existing !== 'same') {
      context.step(`copying ${request.notebookPath} to ${client.label}`);
      undo.notebookCreated = existing === 'absent';
      await copyNotebook(client, request.notebookPath, text);
    }
    signal.throwIfAborted();

    const t2 = performance.now();
    context.step(`restoring on ${client.label}`);
    const restore = await client.json<IIncomingRestoreStarted>(`${INCOMING_API}/${undo.transferId}/restore`, {
      method: 'POST',
      json: { notebookPath: request.notebookPath, ...(request.kernelName ? { kernelName: request.kernelName } : {}) }
    });
    // From here the target owns the incoming folder: its job removes it whatever happens.
    undo.transferId = null;
    undo.targetJob = restore.jobId;
    undo.targetSession = restore.sessionId;
    const restored = await followTargetJob(client, restore.jobId, context, services.pollMs ?? 250);
    signal.throwIfAborted();
    undo.targetJob = null;
    undo.targetSession = null;
    const restoreMs = performance.now() - t2;

    return {
      target: request.target.name,
      kernelId: restore.kernelId,
      sessionId: restore.sessionId,
      notebookUrl: new URL(
        `lab/tree/${request.notebookPath.split('/').map(encodeURIComponent).join('/')}`,
        request.target.url
      ).href,
      notebookPath: request.notebookPath,
      checkpointId: checkpointed.checkpointId,
      plan: checkpointed.plan,
      bytes,
      verification: restored.verification,
      timings: { checkpointMs, transferMs, restoreMs, totalMs: performance.now() - started }
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
