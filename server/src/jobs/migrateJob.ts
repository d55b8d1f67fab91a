/**
 * The migrate job: move a live kernel's session to another Jupyter server running this extension,
 * a JupyterHub user's server (started first: hubStep.ts) or a new kernel on this server
 * (transfer/localTarget.ts), docs/internals.md, "A migration, end to end". To a server, it checks the target first (reachable, token
 * accepted, extension present, no different notebook in the way), copies the notebook, opens a
 * transfer on the target that starts the restore's kernel and imports the session's modules at
 * once, and checkpoints the kernel into a staging bundle in the companion's data folder while
 * each payload file goes to the target companion as soon as it is written (checksummed chunks,
 * resuming after a cut connection; the manifest last: migratePipeline.ts). Then it asks the target
 * to restore into that prepared session and follows the target's job. When both sides share one
 * S3 store, the checkpoint goes there instead and the target restores from it
 * (transfer/sharedStore.ts). Once the target verified the session, the source kernel is stopped
 * if the user asked for it (transfer/stopSource.ts).
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
import type { IIncomingRestoreStarted, IMigrateJobResult, IPreparedTimes } from '@elastic-notebook/protocol';
import { errorMessage } from '../bundle/errors';
import { MigrationError } from '../migrate/migrationError';
import { checkSessionModules, IModuleVersions } from '../migrate/targetModules';
import { Objective } from '../planner/index';
import { migrateToThisMachine } from '../transfer/localTarget';
import { copyNotebook, notebookExistsMessage, notebookOnTarget } from '../transfer/notebookCopy';
import { INCOMING_API } from '../transfer/sendFiles';
import { migrateThroughSharedStore, sharedStoreWith } from '../transfer/sharedStore';
import { stopSourceAfter } from '../transfer/stopSource';
import { TargetClient } from '../transfer/targetClient';
import { followTargetRestore, IUndo, restoredOn, undoOnTarget } from '../transfer/targetJob';
import type { ITarget, MigrationTarget } from '../transfer/targets';
import {
  describePricing,
  IGivenPricing,
  IPricingSources,
  pricingMeasurements,
  resolvePricing
} from '../transfer/targetPricing';
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
  /** This companion's checkpoint root: an S3 one the target shares spares the direct transfer. */
  checkpointRoot?: string;
  /** How the target's bandwidth and CPU speed are found (default: measured, else probed). */
  pricingSources?: Omit<IPricingSources, 'dataDir'>;
  /** This machine's module versions, compared with the target's (none: only presence is checked). */
  machine?: IModuleVersions;
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
  /** Shut the source kernel down once the target verified the restored session. */
  stopSource?: boolean;
  /** Pricing numbers given by the caller (else measured or probed before planning). */
  pricing?: IGivenPricing;
}

/** A migration whose target is a Jupyter server already running (or this one, for `local`). */
export type IDirectMigrationRequest = Omit<IMigrateJobRequest, 'target'> & { target: ITarget };

/**
 * Migrate `request.kernelId`'s session to `request.target` (another Jupyter server, a JupyterHub
 * user's server, or a new kernel on this one), then stop the source kernel when asked and the
 * restore verified.
 */
export async function runMigrateJob(
  services: IMigrateJobServices,
  request: IMigrateJobRequest,
  context: IJobContext
): Promise<IMigrateJobResult> {
  const { target } = request;
  let result: IMigrateJobResult;
  if (target.kind === 'jupyterhub') {
    // Start the user's server first (stopped again should the migration fail), then migrate to it.
    result = await migrateThroughHub(target, context, server =>
      migrateToServer(services, { ...request, target: server }, context)
    );
  } else if (target.kind === 'local') {
    result = await migrateToThisMachine(services, { ...request, target }, context);
  } else {
    result = await migrateToServer(services, { ...request, target }, context);
  }
  return stopSourceAfter(services.kernels, request, result, context);
}

/** Migrate to another Jupyter server. */
async function migrateToServer(
  services: IMigrateJobServices,
  request: IDirectMigrationRequest,
  context: IJobContext
): Promise<IMigrateJobResult> {
  const started = performance.now();
  const client = new TargetClient(request.target);
  const { signal } = context;
  const staging = path.join(services.dataDir, OUTGOING_DIR, randomBytes(8).toString('hex'));
  const undo: IUndo = { transferId: null, notebookCreated: false, targetJob: null, targetSession: null };
  try {
    const { value: notebook, span: check } = await timed(() => checkTarget(client, request, services.baseDir, context));
    // A module the session needs missing there fails now, before anything is created on the target.
    await checkSessionModules(services, request, client, context);
    const shared = await sharedStoreWith(client, services.checkpointRoot, signal);
    if (shared) {
      return await migrateThroughSharedStore(services, request, context, {
        client,
        shared,
        text: notebook.text,
        existing: notebook.existing,
        undo,
        started
      });
    }

    // The plan is priced for the target: its bandwidth and its CPU speed relative to this machine.
    context.step(`pricing the plan for ${client.label}`);
    const pricing = await resolvePricing(request.target, request.pricing, {
      dataDir: services.dataDir,
      ...services.pricingSources
    });
    context.step(`priced for ${client.label}: ${describePricing(pricing)}`);

    // Calls that create something on the target are never cut by a cancel half-way (the target
    // would keep what the sender never heard of); the cancel takes effect right after them.
    // The notebook first: the session the target prepares binds it.
    if (notebook.existing !== 'same') {
      context.step(`copying ${request.notebookPath} to ${client.label}`);
      undo.notebookCreated = notebook.existing === 'absent';
      await copyNotebook(client, request.notebookPath, notebook.text);
    }
    signal.throwIfAborted();

    // The target starts its kernel and imports while this side checkpoints and sends each file.
    context.step(`asking ${client.label} to start a kernel for ${request.notebookPath}`);
    undo.transferId = await openTransfer(client, services, request);
    signal.throwIfAborted();
    const sent = await checkpointWhileSending(client, undo.transferId, services, request, staging, context, {
      pricing: pricingMeasurements(pricing)
    });
    signal.throwIfAborted();

    const t2 = performance.now();
    const restoreAt = Date.now();
    context.step(`restoring on ${client.label}`);
    const restore = await client.json<IIncomingRestoreStarted>(`${INCOMING_API}/${undo.transferId}/restore`, {
      method: 'POST',
      json: { notebookPath: request.notebookPath, ...(request.kernelName ? { kernelName: request.kernelName } : {}) }
    });
    // From here the target owns the incoming folder: its job removes it whatever happens.
    undo.transferId = null;
    // The payloads still queued arrive while the target restores (it loads each once it is there).
    const [files, restored] = await Promise.all([
      sent.sender.finish(),
      followTargetRestore(client, restore, undo, context, services.pollMs ?? 250)
    ]);
    const send = sent.sender.span ?? { startAt: sent.checkpoint.endAt, endAt: sent.checkpoint.endAt };
    // The target listing shows the bandwidth real transfers measured (a probe only before the first).
    await recordBandwidth(services.dataDir, request.target.name, sent.sender.bytes, send.endAt - send.startAt);
    const restoreMs = performance.now() - t2;
    const prepared = (restored as { prepared?: IPreparedTimes | null }).prepared;

    return {
      ...restoredOn(request, restore, sent.checkpointed),
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
      ),
      pricing,
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

/**
 * Check the target (reachable, token accepted, extension present) and that no different notebook
 * is in the way unless overwriting was asked for; answers the notebook's text and what the target has.
 */
async function checkTarget(
  client: TargetClient,
  request: IDirectMigrationRequest,
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
