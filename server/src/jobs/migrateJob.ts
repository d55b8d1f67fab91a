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
import type { IIncomingRestoreStarted, IMigrateJobResult } from '@elastic-notebook/protocol';
import { manifestFiles, MANIFEST_FILE, parseManifestText } from '../bundle/manifest';
import { errorMessage } from '../bundle/errors';
import { MigrationError } from '../migrate/migrationError';
import { Objective } from '../planner/index';
import { migrateToThisMachine } from '../transfer/localTarget';
import { checkpointForMigration } from '../transfer/migrationCheckpoint';
import { copyNotebook, notebookExistsMessage, notebookOnTarget } from '../transfer/notebookCopy';
import { announce, INCOMING_API, outgoingFiles, sendFiles } from '../transfer/sendFiles';
import { migrateThroughSharedStore, sharedStoreWith } from '../transfer/sharedStore';
import { stopSourceAfter } from '../transfer/stopSource';
import { TargetClient } from '../transfer/targetClient';
import { followTargetRestore, IUndo, restoredOn, undoOnTarget } from '../transfer/targetJob';
import type { ITarget } from '../transfer/targets';
import { ICheckpointJobServices } from './checkpointJob';
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
  /** This companion's checkpoint root: an S3 one the target shares spares the direct transfer. */
  checkpointRoot?: string;
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
  /** Shut the source kernel down once the target verified the restored session. */
  stopSource?: boolean;
}

/**
 * Migrate `request.kernelId`'s session to `request.target` (another Jupyter server, or a new
 * kernel on this one), then stop the source kernel when asked and the restore verified.
 */
export async function runMigrateJob(
  services: IMigrateJobServices,
  request: IMigrateJobRequest,
  context: IJobContext
): Promise<IMigrateJobResult> {
  const result =
    request.target.kind === 'local'
      ? await migrateToThisMachine(services, request, context)
      : await migrateToServer(services, request, context);
  return stopSourceAfter(services.kernels, request, result, context);
}

/** Migrate to another Jupyter server. */
async function migrateToServer(
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
    const shared = await sharedStoreWith(client, services.checkpointRoot, signal);
    if (shared) {
      return await migrateThroughSharedStore(services, request, context, {
        client,
        shared,
        text,
        existing,
        undo,
        started
      });
    }

    const t0 = performance.now();
    const checkpointed = await checkpointForMigration(services, request, staging, context);
    const checkpointMs = performance.now() - t0;
    signal.throwIfAborted();

    const t1 = performance.now();
    context.step(`sending the checkpoint to ${client.label} (direct transfer)`);
    const manifest = parseManifestText(await fs.readFile(path.join(staging, MANIFEST_FILE), 'utf8'), MANIFEST_FILE);
    const files = await outgoingFiles(
      [MANIFEST_FILE, ...manifestFiles(manifest).map(f => f.file)].map(file => ({
        path: file,
        source: path.join(staging, ...file.split('/'))
      }))
    );
    undo.transferId = await announce(client, files, signal);
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
      await copyNotebook(client, request.notebookPath, text, signal);
      undo.notebookCreated = existing === 'absent';
    }
    signal.throwIfAborted();

    const t2 = performance.now();
    context.step(`restoring on ${client.label}`);
    const restore = await client.json<IIncomingRestoreStarted>(`${INCOMING_API}/${undo.transferId}/restore`, {
      method: 'POST',
      json: { notebookPath: request.notebookPath, ...(request.kernelName ? { kernelName: request.kernelName } : {}) },
      signal
    });
    // From here the target owns the incoming folder: its job removes it whatever happens.
    undo.transferId = null;
    const restored = await followTargetRestore(client, restore, undo, context, services.pollMs ?? 250);
    const restoreMs = performance.now() - t2;

    return {
      ...restoredOn(request, restore, checkpointed),
      bytes,
      verification: restored.verification,
      timings: { checkpointMs, transferMs, restoreMs, totalMs: performance.now() - started },
      transport: 'direct',
      sourceStopped: false
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
