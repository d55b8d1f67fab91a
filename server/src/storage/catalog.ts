/**
 * Listing and describing checkpoints: what the CLI's and the sidebar's checkpoint lists show.
 * A root is a folder or S3 prefix whose direct sub-folders (sub-prefixes) may be bundles.
 */
import type {
  CheckpointEntry as CheckpointListEntry,
  ICheckpointSummary,
  IUnreadableCheckpoint
} from '@elastic-notebook/protocol';
import { errorMessage, isBundleError } from '../bundle/errors';
import { copiedVariables, IManifest, payloadBytes } from '../bundle/manifest';
import { IOpenStoreOptions, openStore } from './openStore';
import { IBundleStore } from './store';
import { mapPool } from './transfer';

export type {
  CheckpointEntry as CheckpointListEntry,
  ICheckpointSummary,
  IUnreadableCheckpoint
} from '@elastic-notebook/protocol';

/** A checkpoint in detail. */
export interface ICheckpointDescription extends ICheckpointSummary {
  /** Copied variable names, sorted. */
  copied: string[];
  /** Recomputed variable names, sorted. */
  recomputed: string[];
  /** Executions re-run at restore, from the plan. */
  rerun: number[];
  /** Payload files the manifest refers to that are missing from the store or have another size. */
  missingFiles: string[];
  /** Whether every payload is present: a restore can load everything it planned to. */
  complete: boolean;
  /** The whole manifest. */
  manifest: IManifest;
}

/** The summary of a manifest read from `uri`. */
export function summarize(uri: string, manifest: IManifest): ICheckpointSummary {
  const objective = manifest.plan.objective;
  return {
    uri,
    error: null,
    checkpointId: manifest.checkpointId,
    createdAt: manifest.createdAt,
    formatVersion: manifest.formatVersion,
    notebookPath: manifest.notebook.path,
    kernelName: manifest.notebook.kernelName,
    bytes: payloadBytes(manifest),
    copiedVariables: copiedVariables(manifest).length,
    objective: typeof objective === 'string' ? objective : null
  };
}

/**
 * The checkpoints directly under `rootUri`: every sub-folder (sub-prefix) holding a manifest.json,
 * newest first, then the unreadable ones (corrupt, newer format) by URI with their error. Folders
 * without a manifest are not bundles and are skipped. Throws `BundleError` 'not-found' when a
 * local root does not exist (an S3 prefix without objects is simply empty).
 */
export async function listCheckpoints(
  rootUri: string,
  options: IOpenStoreOptions = {}
): Promise<CheckpointListEntry[]> {
  const root = openStore(rootUri, options);
  try {
    const names = await root.listChildren();
    const entries = await mapPool(names, 8, async name => readEntry(root.child(name)));
    const found = entries.filter((e): e is CheckpointListEntry => e !== null);
    const readable = found.filter((e): e is ICheckpointSummary => e.error === null);
    const unreadable = found.filter((e): e is IUnreadableCheckpoint => e.error !== null);
    readable.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.uri.localeCompare(b.uri));
    unreadable.sort((a, b) => a.uri.localeCompare(b.uri));
    return [...readable, ...unreadable];
  } finally {
    await root.close();
  }
}

/**
 * The checkpoint at `uri` in detail, with a check that its payloads are all in the store. Throws
 * like `IBundleStore.readManifest` ('not-found', 'corrupt', 'newer-format', 'io').
 */
export async function describeCheckpoint(
  uri: string,
  options: IOpenStoreOptions = {}
): Promise<ICheckpointDescription> {
  const store = openStore(uri, options);
  try {
    const manifest = await store.readManifest();
    const missingFiles = await store.missingFiles(manifest);
    const rerun = manifest.plan.rerun;
    return {
      ...summarize(store.uri, manifest),
      copied: copiedVariables(manifest),
      recomputed: manifest.groups
        .filter(g => g.decision === 'recompute')
        .flatMap(g => g.members)
        .sort(),
      rerun: Array.isArray(rerun) ? rerun.filter((e): e is number => Number.isInteger(e)) : [],
      missingFiles,
      complete: missingFiles.length === 0,
      manifest
    };
  } finally {
    await store.close();
  }
}

async function readEntry(store: IBundleStore): Promise<CheckpointListEntry | null> {
  try {
    return summarize(store.uri, await store.readManifest());
  } catch (err) {
    if (isBundleError(err, 'not-found')) {
      return null;
    }
    return {
      uri: store.uri,
      error: errorMessage(err),
      code: isBundleError(err) ? err.code : 'io',
      formatVersion: isBundleError(err) ? (err.formatVersion ?? null) : null
    };
  }
}
