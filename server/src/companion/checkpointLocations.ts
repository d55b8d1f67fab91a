/**
 * Where checkpoints made from JupyterLab go, and which bundles restore without an explicit
 * confirmation.
 *
 * - The **default root** is the server's configured checkpoint root (`ELASTIC_NOTEBOOK_CHECKPOINT_ROOT`,
 *   from `c.ElasticNotebookApp.checkpoint_root`), else `<dataDir>/checkpoints`. A request may name
 *   another root (the frontend's `checkpointRoot` setting).
 * - A checkpoint without an explicit URI goes to `<root>/<notebook name>-<checkpoint-id-like stamp>`.
 * - Relative folder paths are resolved against the Jupyter server's root folder (where the
 *   notebooks are), so that a root like `checkpoints` means the same thing as in the file browser.
 * - Bundles hold pickles, and loading a pickle runs code: a restore from an `s3://` URI or from a
 *   folder outside the default root must be confirmed (`trust: true`).
 */
import path from 'path';
import { newCheckpointId } from '../bundle/checkpointId';
import { childLocation, parseBundleUri } from '../bundle/bundleUri';

/** Longest notebook-name part of a bundle name. */
const MAX_NAME = 80;

/** Resolves checkpoint locations for one companion. */
export class CheckpointLocations {
  /** Canonical URI of the default root. */
  readonly defaultRoot: string;

  /**
   * @param configuredRoot The server's configured root (empty: `<dataDir>/checkpoints`).
   * @param dataDir The companion's data folder.
   * @param baseDir Folder relative paths are resolved against (the Jupyter server's root folder).
   */
  constructor(
    configuredRoot: string,
    dataDir: string,
    readonly baseDir: string
  ) {
    const root = configuredRoot.trim() || path.join(dataDir, 'checkpoints');
    this.defaultRoot = parseBundleUri(root, baseDir).uri;
  }

  /** The canonical URI of `requested`, or the default root when it is absent or empty. */
  root(requested?: string | null): string {
    return requested && requested.trim() ? parseBundleUri(requested, this.baseDir).uri : this.defaultRoot;
  }

  /** The canonical URI of a bundle given by the user (throws `BundleError` 'invalid-uri'). */
  bundle(uri: string): string {
    return parseBundleUri(uri, this.baseDir).uri;
  }

  /** An absolute notebook path for the manifest, from a path relative to the Jupyter root. */
  notebookPath(relative: string | null | undefined): string | null {
    return relative ? path.resolve(this.baseDir, relative) : null;
  }

  /** A fresh bundle URI under `root` for a checkpoint of the notebook at `notebookPath`. */
  newBundle(root: string, notebookPath: string | null | undefined, now: Date = new Date()): string {
    return childLocation(parseBundleUri(root, this.baseDir), `${bundleStem(notebookPath)}-${newCheckpointId(now)}`).uri;
  }

  /** Whether restoring `uri` needs the user's explicit confirmation (`trust: true`). */
  needsTrust(uri: string): boolean {
    const location = parseBundleUri(uri, this.baseDir);
    const root = parseBundleUri(this.defaultRoot, this.baseDir);
    if (location.kind !== 'local' || root.kind !== 'local') {
      return true;
    }
    const relative = path.relative(root.path, location.path);
    return relative === '' || relative.startsWith('..') || path.isAbsolute(relative);
  }
}

/** The notebook's name without `.ipynb`, reduced to characters safe in a folder or key name. */
export function bundleStem(notebookPath: string | null | undefined): string {
  const base = notebookPath ? path.posix.basename(notebookPath.replace(/\\/g, '/')).replace(/\.ipynb$/i, '') : '';
  const safe = base
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, MAX_NAME);
  return safe || 'session';
}
