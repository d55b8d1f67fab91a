/**
 * Bundles in a local folder (the default). The kernel agent writes payloads straight into
 * `BUNDLE/payloads/<checkpointId>/`; the commit writes `manifest.json.tmp-<checkpointId>`, fsyncs
 * it, renames it over `manifest.json` and fsyncs the folder, so a crash at any moment leaves the
 * previous manifest or the new one, each with all of its payloads.
 */
import { promises as fs } from 'fs';
import path from 'path';
import { childLocation, ILocalLocation } from '../bundle/bundleUri';
import { checkpointTime } from '../bundle/checkpointId';
import { BundleError, errorMessage } from '../bundle/errors';
import { MANIFEST_FILE, IManifest, PAYLOADS_DIR } from '../bundle/manifest';
import { syncPath, writeFileDurably } from '../durable';
import { BaseStore } from './baseStore';
import { IFetchResult, IStoreOptions, ITransferOptions, ITransferResult } from './store';
import { elapsedMs, now, ProgressMeter, throwIfCancelled } from './transfer';

const TEMP_PREFIX = `${MANIFEST_FILE}.tmp-`;

/** A bundle in a local folder. */
export class LocalStore extends BaseStore {
  readonly kind = 'local' as const;
  declare readonly location: ILocalLocation;

  constructor(
    location: ILocalLocation,
    private readonly options: IStoreOptions = {}
  ) {
    super(location, options);
  }

  private get root(): string {
    return this.location.path;
  }

  private get payloadsDir(): string {
    return path.join(this.root, PAYLOADS_DIR);
  }

  async stagingDir(checkpointId: string): Promise<string> {
    this.checkId(checkpointId);
    const dir = path.join(this.payloadsDir, checkpointId);
    this.startWriting(checkpointId);
    try {
      await makeDurableDir(dir);
    } catch (err) {
      this.stopWriting(checkpointId);
      throw ioError(`cannot create the payload folder ${dir}`, err);
    }
    return dir;
  }

  async publish(checkpointId: string, files: string[], options: ITransferOptions = {}): Promise<ITransferResult> {
    const names = this.stagedNames(checkpointId, files);
    const what = `publishing checkpoint ${checkpointId} to ${this.uri}`;
    throwIfCancelled(options.signal, what);
    const started = now();
    const dir = path.join(this.payloadsDir, checkpointId);
    const sizes = await this.statFiles(
      dir,
      names,
      name => `payload payloads/${checkpointId}/${name} is missing from ${this.uri}; the kernel agent did not write it`
    );
    const total = sizes.reduce((sum, size) => sum + size, 0);
    const meter = new ProgressMeter(total, options.onProgress);
    for (const [i, name] of names.entries()) {
      throwIfCancelled(options.signal, what);
      // The agent fsyncs what it writes; syncing again costs nothing then and makes this store's
      // durability independent of the writer.
      await syncPath(path.join(dir, name));
      meter.update(name, sizes[i]);
    }
    for (const folder of [dir, this.payloadsDir, this.root]) {
      await syncPath(folder);
    }
    meter.finish();
    return { bytes: total, ms: elapsedMs(started) };
  }

  async abandon(checkpointId: string): Promise<void> {
    this.checkId(checkpointId);
    this.stopWriting(checkpointId);
    await fs.rm(path.join(this.root, `${TEMP_PREFIX}${checkpointId}`), { force: true });
    if (!(await this.currentReferences()).has(checkpointId)) {
      await this.removeFolder(checkpointId);
    }
  }

  async fetch(manifest: IManifest, files: string[], options: ITransferOptions = {}): Promise<IFetchResult> {
    const list = this.fetchList(manifest, files);
    throwIfCancelled(options.signal, `reading checkpoint ${manifest.checkpointId} from ${this.uri}`);
    const started = now();
    const sizes = await this.statFiles(
      this.root,
      list.map(f => f.file),
      file => `payload ${file} is missing from ${this.uri}; the bundle is damaged or was replaced by a newer checkpoint`
    );
    list.forEach(({ file, bytes }, i) => {
      if (bytes !== null && sizes[i] !== bytes) {
        throw new BundleError(
          'corrupt',
          `payload ${file} in ${this.uri} has ${sizes[i]} bytes but the manifest says ${bytes}; the bundle is damaged`
        );
      }
    });
    const total = sizes.reduce((sum, size) => sum + size, 0);
    const meter = new ProgressMeter(total, options.onProgress);
    meter.finish();
    return { dir: this.root, bytes: total, ms: elapsedMs(started), cleanup: async () => undefined };
  }

  async delete(): Promise<void> {
    const manifest = path.join(this.root, MANIFEST_FILE);
    const hadManifest = await exists(manifest);
    const hadPayloads = await exists(this.payloadsDir);
    if (!hadManifest && !hadPayloads) {
      throw new BundleError('not-found', `no checkpoint at ${this.uri}: there is nothing to delete`);
    }
    try {
      if (hadManifest) {
        // The bundle stops existing here; what follows only frees space.
        await fs.rm(manifest);
        await syncPath(this.root);
      }
      await fs.rm(this.payloadsDir, { recursive: true, force: true });
      for (const entry of await fs.readdir(this.root)) {
        if (entry.startsWith(TEMP_PREFIX)) {
          await fs.rm(path.join(this.root, entry), { force: true });
        }
      }
    } catch (err) {
      throw ioError(`cannot delete the checkpoint at ${this.uri}`, err);
    }
    // The folder itself goes only if nothing else is in it (the user's own files stay).
    await fs.rmdir(this.root).catch(() => undefined);
  }

  async listChildren(): Promise<string[]> {
    let entries;
    try {
      entries = await fs.readdir(this.root, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new BundleError('not-found', `${this.uri} does not exist`);
      }
      throw ioError(`cannot list ${this.uri}`, err);
    }
    // A link may point at a bundle; one that does not is skipped like any folder without a manifest.
    return entries
      .filter(e => e.isDirectory() || e.isSymbolicLink())
      .map(e => e.name)
      .sort();
  }

  child(name: string): LocalStore {
    return new LocalStore(childLocation(this.location, name) as ILocalLocation, this.options);
  }

  async close(): Promise<void> {}

  protected async readManifestText(): Promise<string> {
    const file = path.join(this.root, MANIFEST_FILE);
    try {
      return await fs.readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        const folder = await fs.stat(this.root).catch(() => null);
        const why =
          folder === null
            ? 'the folder does not exist'
            : !folder.isDirectory()
              ? 'it is a file, not a folder'
              : `it has no ${MANIFEST_FILE}`;
        throw new BundleError('not-found', `no checkpoint at ${this.uri}: ${why}`);
      }
      throw ioError(`cannot read ${file}`, err);
    }
  }

  protected async writeManifest(text: string, checkpointId: string): Promise<void> {
    const target = path.join(this.root, MANIFEST_FILE);
    const temp = path.join(this.root, `${TEMP_PREFIX}${checkpointId}`);
    try {
      await writeFileDurably(temp, text);
      await fs.rename(temp, target);
      await syncPath(this.root);
    } catch (err) {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      throw ioError(`cannot write ${target}`, err);
    }
  }

  protected async payloadFolders(): Promise<string[]> {
    // Temporary manifests of commits that crashed before their rename are garbage too.
    await this.removeStaleTemporaries();
    try {
      return await fs.readdir(this.payloadsDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return [];
      }
      throw err;
    }
  }

  protected async folderSizes(checkpointId: string): Promise<Map<string, number>> {
    const dir = path.join(this.payloadsDir, checkpointId);
    const sizes = new Map<string, number>();
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return sizes;
      }
      throw ioError(`cannot list ${dir}`, err);
    }
    for (const name of names) {
      const stat = await fs.stat(path.join(dir, name)).catch(() => null);
      if (stat?.isFile()) {
        sizes.set(name, stat.size);
      }
    }
    return sizes;
  }

  protected async removeFolder(checkpointId: string): Promise<void> {
    await fs.rm(path.join(this.payloadsDir, checkpointId), { recursive: true, force: true });
  }

  private async removeStaleTemporaries(): Promise<void> {
    const entries = await fs.readdir(this.root).catch(() => [] as string[]);
    for (const entry of entries) {
      const id = entry.startsWith(TEMP_PREFIX) ? entry.slice(TEMP_PREFIX.length) : '';
      const time = checkpointTime(id);
      // Another process may be between writing its temporary manifest and renaming it.
      if (time !== null && !this.isWriting(id) && Date.now() - time.getTime() >= this.staleAfterMs) {
        await fs.rm(path.join(this.root, entry), { force: true }).catch(() => undefined);
      }
    }
  }

  /** Sizes of `names` in `dir`, in order; a missing one is 'not-found' with `missing(name)`. */
  private async statFiles(dir: string, names: string[], missing: (name: string) => string): Promise<number[]> {
    const sizes: number[] = [];
    for (const name of names) {
      let stat;
      try {
        stat = await fs.stat(path.join(dir, name));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new BundleError('not-found', missing(name));
        }
        throw ioError(`cannot read ${path.join(dir, name)}`, err);
      }
      if (!stat.isFile()) {
        throw new BundleError('invalid', `${path.join(dir, name)} is not a file`);
      }
      sizes.push(stat.size);
    }
    return sizes;
  }
}

/** Create `dir` and its missing parents, fsyncing each parent whose entries changed. */
async function makeDurableDir(dir: string): Promise<void> {
  const first = await fs.mkdir(dir, { recursive: true });
  if (first === undefined) {
    return;
  }
  // `first` is the top-most folder created: every folder from its parent down to `dir`'s parent
  // gained an entry.
  for (let folder = dir; ; folder = path.dirname(folder)) {
    await syncPath(path.dirname(folder));
    if (folder === first) {
      break;
    }
  }
}

async function exists(target: string): Promise<boolean> {
  return fs.stat(target).then(
    () => true,
    () => false
  );
}

function ioError(what: string, err: unknown): BundleError {
  if (err instanceof BundleError) {
    return err;
  }
  return new BundleError('io', `${what}: ${errorMessage(err)}`, { cause: err });
}
