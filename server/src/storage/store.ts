/**
 * The bundle store interface: where checkpoint bundles are written and read (docs/checkpoint.md
 * section 1). A store is bound to one bundle URI; `openStore` picks the implementation.
 *
 * Writing a checkpoint:
 *
 *   const id = newCheckpointId();
 *   const dir = await store.stagingDir(id);          // the kernel agent writes payloads/<id>/* here
 *   await store.publish(id, files, { onProgress, signal });
 *   await store.commit(manifest);                     // the commit point; previous bundle kept until then
 *   // on any failure or cancellation before the commit: await store.abandon(id)
 *
 * Reading one:
 *
 *   const manifest = await store.readManifest();
 *   const fetched = await store.fetch(manifest, files, { onProgress, signal });
 *   ... the agent reads fetched.dir/<file> ...
 *   await fetched.cleanup();
 *
 * Crash safety: a process killed at any moment leaves either the previous bundle or the complete
 * new one; payload files of a checkpoint live in their own folder and the manifest, written last
 * in one atomic step, is what makes a bundle exist.
 */
import type { BundleLocation } from '../bundle/bundleUri';
import type { IManifest, ManifestInput } from '../bundle/manifest';

/** Progress and cancellation of a transfer. */
export interface ITransferOptions {
  /** Called as bytes are moved; `bytesDone` never decreases and ends equal to `bytesTotal`. */
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  /** Aborting it stops the transfer with a `BundleError` 'cancelled'. */
  signal?: AbortSignal;
}

/** What a transfer moved and how long it took. */
export interface ITransferResult {
  /** Payload bytes published or fetched. */
  bytes: number;
  /** Elapsed wall-clock milliseconds. */
  ms: number;
}

/** Payload files made readable in a local folder. */
export interface IFetchResult extends ITransferResult {
  /** Local folder such that `path.join(dir, file)` is each requested bundle-relative file. */
  dir: string;
  /** Remove what the fetch downloaded (nothing for a local store); safe to call twice. */
  cleanup(): Promise<void>;
}

/** What a commit did after making the new manifest current. */
export interface ICommitResult {
  /** The committed checkpoint. */
  checkpointId: string;
  /** Payload folders (checkpoint ids) deleted by garbage collection. */
  removed: string[];
  /**
   * Unreferenced payload folders left in place: checkpoints still being written (in this process,
   * or recent enough that another process may be writing them); a later commit removes them.
   */
  kept: string[];
  /** Garbage that could not be removed (the commit itself succeeded); a later commit retries. */
  warnings: string[];
}

/** A bundle in a local folder or under an S3 prefix. */
export interface IBundleStore {
  /** Which implementation. */
  readonly kind: 'local' | 's3';
  /** The canonical bundle URI: an absolute folder path or `s3://bucket/prefix`. */
  readonly uri: string;
  /** The parsed location. */
  readonly location: BundleLocation;

  /**
   * A local folder where the kernel agent writes the payload files of checkpoint `checkpointId`
   * (file `payloads/<id>/<name>` is `<stagingDir>/<name>`). Local store: the final folder
   * `BUNDLE/payloads/<id>/` itself, so nothing is copied; S3: a fresh temporary folder. Until the
   * commit or `abandon`, garbage collection by other commits in this process leaves it alone.
   */
  stagingDir(checkpointId: string): Promise<string>;

  /**
   * Make the staged `files` (bundle-relative, all under `payloads/<checkpointId>/`) durable in the
   * store. Local: checks that they exist and fsyncs them and their folders (the agent wrote them
   * in place, so `ms` covers only that); S3: multipart upload with progress. Aborting
   * `options.signal` throws `BundleError` 'cancelled' and removes what was uploaded.
   */
  publish(checkpointId: string, files: string[], options?: ITransferOptions): Promise<ITransferResult>;

  /**
   * Atomically make `manifest` the bundle's manifest, after validating it (`BundleError`
   * 'invalid') and checking that every payload it refers to is in the store with the recorded
   * size ('not-found' / 'invalid'). Then delete payload folders it does not refer to: those of the
   * previous manifest at once, others (leftovers of crashed or abandoned checkpoints) once they
   * are older than `staleAfterMs`, never one being written by this process.
   */
  commit(manifest: ManifestInput): Promise<ICommitResult>;

  /** Forget a checkpoint that will not be committed: remove its staged and published payloads. */
  abandon(checkpointId: string): Promise<void>;

  /**
   * The committed manifest. `BundleError` 'not-found' (no bundle), 'corrupt' (invalid JSON or
   * schema), 'newer-format', 'io'; messages name the bundle URI.
   */
  readManifest(): Promise<IManifest>;

  /**
   * Make the bundle-relative `files` of `manifest` readable in a local folder. Local: the bundle
   * folder itself; S3: a temporary folder the files are streamed into. A missing file is
   * 'not-found' (the bundle was overwritten meanwhile, or is damaged), a size different from the
   * manifest's record 'corrupt'.
   */
  fetch(manifest: IManifest, files: string[], options?: ITransferOptions): Promise<IFetchResult>;

  /** Payload files `manifest` refers to that are missing from the store or have another size. */
  missingFiles(manifest: IManifest): Promise<string[]>;

  /**
   * Delete the bundle: the manifest first (so that the bundle stops existing at once), then its
   * payloads. Other files under the bundle's folder or prefix are left alone. 'not-found' when
   * there is nothing to delete.
   */
  delete(): Promise<void>;

  /** Names of the folders (sub-prefixes) directly under this location: candidate bundles of a root. */
  listChildren(): Promise<string[]>;

  /** The store of the bundle `name` directly under this location (same configuration). */
  child(name: string): IBundleStore;

  /** Release network resources (the S3 client's sockets); the store must not be used afterwards. */
  close(): Promise<void>;
}

/** Options every store understands. */
export interface IStoreOptions {
  /**
   * Age (by the time in its checkpoint id) after which an unreferenced payload folder that this
   * process is not writing is garbage. Default 6 hours: long enough that a checkpoint another
   * process is still writing to the same bundle is not collected from under it.
   */
  staleAfterMs?: number;
}

/** Default `staleAfterMs`. */
export const DEFAULT_STALE_AFTER_MS = 6 * 60 * 60 * 1000;
