/**
 * A migration through the S3 store both companions share (docs/internals.md, "Through a shared
 * store"). A companion's store is the one its checkpoint root lives in; two companions share one
 * when both roots are in the same bucket of the same endpoint (`storeIdentity`, which
 * `GET /api/machine` reports as `checkpointStore`). Then the source checkpoints straight into
 * `<its root>/migrations/<notebook>-<id>`, and the target restores from there
 * (`POST /api/incoming/restore-shared`): no chunk passes between the companions.
 *
 * The bundle is a copy in transit, as the direct transfer's incoming folder is: the target's
 * restore job removes it when it ends, whatever the outcome, and the source removes it too when
 * the migration ends (a source that failed before the target took it over leaves nothing). The
 * restored kernel's own checkpoints are made anew; keeping one bundle per migration would pile
 * up in the shared bucket under a prefix no listing shows.
 */
import { performance } from 'perf_hooks';
import type { IIncomingRestoreStarted, IMigrateJobResult } from '@elastic-notebook/protocol';
import { newCheckpointId } from '../bundle/checkpointId';
import { childLocation, parseBundleUri } from '../bundle/bundleUri';
import { bundleStem } from '../companion/checkpointLocations';
import type { IJobContext } from '../jobs/job';
import type { IDirectMigrationRequest, IMigrateJobServices } from '../jobs/migrateJob';
import { storeTarget } from '../migrate/measurementLog';
import { openStore } from '../storage/index';
import { copyNotebook, NotebookOnTarget } from './notebookCopy';
import { INCOMING_API } from './sendFiles';
import { TargetClient } from './targetClient';
import { followTargetRestore, IUndo, restoredOn } from './targetJob';
import { checkpointForMigration } from './migrationCheckpoint';

/** Folder under the source's checkpoint root holding bundles in transit (no listing shows them). */
export const MIGRATIONS_DIR = 'migrations';

/**
 * The store a checkpoint root lives in: `s3://<endpoint host>/<bucket>` (`s3://<bucket>` on AWS
 * itself, the endpoint from the environment as the store's), null for a local folder. Never
 * credentials.
 */
export function storeIdentity(rootUri: string, env: NodeJS.ProcessEnv = process.env): string | null {
  return /^s3:\/\//i.test(rootUri) ? storeTarget(rootUri, undefined, env) : null;
}

/**
 * Whether `uri` is a bundle inside the bucket of the S3 checkpoint root `rootUri` (which the
 * companion reads with its own endpoint and credentials); false for a local root or any other URI.
 */
export function insideStore(uri: string, rootUri: string): boolean {
  try {
    const location = parseBundleUri(uri);
    const root = parseBundleUri(rootUri);
    return location.kind === 's3' && root.kind === 's3' && location.bucket === root.bucket && location.prefix !== '';
  } catch {
    return false;
  }
}

/** The store both sides share. */
export interface ISharedStore {
  /** Its identity, `s3://<endpoint host>/<bucket>`. */
  store: string;
  /** The source's checkpoint root in it. */
  root: string;
}

/**
 * The store this companion shares with the target, or null (then the transfer is direct): the
 * target reports its store in `GET elastic-notebook/api/machine` (an older target reports none).
 */
export async function sharedStoreWith(
  client: TargetClient,
  rootUri: string | undefined,
  signal: AbortSignal
): Promise<ISharedStore | null> {
  const store = rootUri ? storeIdentity(rootUri) : null;
  if (!rootUri || store === null) {
    return null;
  }
  // A target that cannot say (an older one, a passing failure) is sent the bundle directly.
  const machine = await client
    .json<{ checkpointStore?: unknown }>('elastic-notebook/api/machine', { signal })
    .catch(err => {
      if (signal.aborted) {
        throw err;
      }
      return null;
    });
  return machine?.checkpointStore === store ? { store, root: rootUri } : null;
}

/** A fresh bundle URI for a migration of `notebookPath` under `<root>/migrations/`. */
export function sharedBundleUri(root: string, notebookPath: string): string {
  const folder = childLocation(parseBundleUri(root), MIGRATIONS_DIR);
  return childLocation(folder, `${bundleStem(notebookPath)}-${newCheckpointId()}`).uri;
}

/** Remove a bundle in transit (nothing happens when it is gone already). */
export async function removeSharedBundle(uri: string): Promise<void> {
  const store = openStore(uri);
  try {
    await store.delete();
  } finally {
    await store.close();
  }
}

/** What the direct path found out before the shared store was chosen. */
export interface ISharedMigrationStart {
  client: TargetClient;
  shared: ISharedStore;
  /** The notebook's text, and whether the target has it. */
  text: string;
  existing: NotebookOnTarget;
  /** What to undo on the target after a failure (filled in here). */
  undo: IUndo;
  /** When the migration started (`performance.now()`). */
  started: number;
}

/**
 * The rest of a migration through the shared store: checkpoint into it, copy the notebook, ask
 * the target to restore from it, and follow the target's job. The caller undoes what `undo`
 * names on a failure; the bundle is removed here whatever happens.
 */
export async function migrateThroughSharedStore(
  services: IMigrateJobServices,
  request: IDirectMigrationRequest,
  context: IJobContext,
  start: ISharedMigrationStart
): Promise<IMigrateJobResult> {
  const { client, shared, undo } = start;
  const { signal } = context;
  const uri = sharedBundleUri(shared.root, request.notebookPath);
  try {
    const t0 = performance.now();
    const checkpointed = await checkpointForMigration(services, request, uri, context);
    const checkpointMs = performance.now() - t0;
    context.step(`the checkpoint reaches ${client.label} via the shared store ${shared.store} (no direct transfer)`);
    if (start.existing !== 'same') {
      context.step(`copying ${request.notebookPath} to ${client.label}`);
      // Not cut by a cancel half-way (see migrateJob.ts); the cancel takes effect right after.
      undo.notebookCreated = start.existing === 'absent';
      await copyNotebook(client, request.notebookPath, start.text);
    }
    signal.throwIfAborted();

    const t1 = performance.now();
    context.step(`restoring on ${client.label}`);
    const restore = await client.json<IIncomingRestoreStarted>(`${INCOMING_API}/restore-shared`, {
      method: 'POST',
      json: {
        uri,
        notebookPath: request.notebookPath,
        ...(request.kernelName ? { kernelName: request.kernelName } : {})
      }
    });
    const restored = await followTargetRestore(client, restore, undo, context, services.pollMs ?? 250);
    return {
      ...restoredOn(request, restore, checkpointed),
      bytes: checkpointed.bytes,
      verification: restored.verification,
      timings: {
        checkpointMs,
        transferMs: 0,
        restoreMs: performance.now() - t1,
        totalMs: performance.now() - start.started
      },
      transport: 'shared-store',
      sourceStopped: false
    };
  } finally {
    await removeSharedBundle(uri).catch(err =>
      context.step(`could not remove the bundle in transit ${uri}: ${(err as Error).message}`)
    );
  }
}
