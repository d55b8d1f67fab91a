/**
 * What the local and S3 stores share: validation of arguments, the commit sequence (validate,
 * check payloads, write the manifest atomically, collect garbage), payload checks and the
 * registry of checkpoints this process is writing. Subclasses provide the storage primitives.
 */
import type { BundleLocation } from '../bundle/bundleUri';
import { checkpointTime, isCheckpointId } from '../bundle/checkpointId';
import { BundleError, errorMessage, isBundleError } from '../bundle/errors';
import {
  IManifest,
  ManifestInput,
  manifestFiles,
  parseManifest,
  parseManifestText,
  referencedCheckpoints,
  serializeManifest,
  splitPayloadPath
} from '../bundle/manifest';
import {
  DEFAULT_STALE_AFTER_MS,
  IBundleStore,
  ICommitResult,
  IFetchResult,
  IStoreOptions,
  ITransferOptions,
  ITransferResult
} from './store';

/** Checkpoints being written by this process, per bundle URI (shared by all store instances). */
const writing = new Map<string, Set<string>>();

/** A payload file the manifest expects and what is wrong with it in the store. */
export interface IPayloadProblem {
  file: string;
  problem: 'missing' | 'size';
  /** Size in the store, for 'size'. */
  actualBytes?: number;
  expectedBytes: number;
}

/** Base of the stores; see `IBundleStore` for the contract of each method. */
export abstract class BaseStore implements IBundleStore {
  abstract readonly kind: 'local' | 's3';
  protected readonly staleAfterMs: number;

  constructor(
    readonly location: BundleLocation,
    options: IStoreOptions = {}
  ) {
    const stale = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    if (!Number.isFinite(stale) || stale < 0) {
      throw new BundleError('invalid', `staleAfterMs must be a non-negative number of milliseconds, got ${stale}`);
    }
    this.staleAfterMs = stale;
  }

  get uri(): string {
    return this.location.uri;
  }

  abstract stagingDir(checkpointId: string): Promise<string>;
  abstract publish(checkpointId: string, files: string[], options?: ITransferOptions): Promise<ITransferResult>;
  abstract abandon(checkpointId: string): Promise<void>;
  abstract fetch(manifest: IManifest, files: string[], options?: ITransferOptions): Promise<IFetchResult>;
  abstract delete(): Promise<void>;
  abstract listChildren(): Promise<string[]>;
  abstract child(name: string): IBundleStore;
  abstract close(): Promise<void>;

  /** The text of manifest.json; 'not-found' when there is none. */
  protected abstract readManifestText(): Promise<string>;
  /** Replace manifest.json with `text` in one atomic step, durably. */
  protected abstract writeManifest(text: string, checkpointId: string): Promise<void>;
  /** Names of the entries directly under `payloads/` (any name; non-checkpoint names are ignored). */
  protected abstract payloadFolders(): Promise<string[]>;
  /** File name -> size of the files in `payloads/<checkpointId>/` (empty when the folder is missing). */
  protected abstract folderSizes(checkpointId: string): Promise<Map<string, number>>;
  /** Delete `payloads/<checkpointId>/` and everything in it. */
  protected abstract removeFolder(checkpointId: string): Promise<void>;
  /** Called once the manifest of `checkpointId` is committed (drop staging state). */
  protected async afterCommit(_checkpointId: string): Promise<void> {}

  async readManifest(): Promise<IManifest> {
    return parseManifestText(await this.readManifestText(), this.uri);
  }

  async commit(input: ManifestInput): Promise<ICommitResult> {
    const manifest = this.validateForCommit(input);
    const id = manifest.checkpointId;
    const problems = await this.payloadProblems(manifest);
    if (problems.length > 0) {
      const first = problems[0];
      const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
      throw first.problem === 'missing'
        ? new BundleError(
            'not-found',
            `cannot commit checkpoint ${id} to ${this.uri}: payload ${first.file} is not in the store${more}; ` +
              'publish it first'
          )
        : new BundleError(
            'invalid',
            `cannot commit checkpoint ${id} to ${this.uri}: payload ${first.file} has ${first.actualBytes} bytes ` +
              `in the store but the manifest says ${first.expectedBytes}${more}`
          );
    }
    const previous = await this.currentReferences();
    await this.writeManifest(serializeManifest(manifest), id);
    this.stopWriting(id);
    await this.afterCommit(id);
    return { checkpointId: id, ...(await this.collectGarbage(referencedCheckpoints(manifest), previous)) };
  }

  async missingFiles(manifest: IManifest): Promise<string[]> {
    return (await this.payloadProblems(manifest)).map(p => p.file);
  }

  /** Payload files of `manifest` that are missing from the store or have another size. */
  protected async payloadProblems(manifest: IManifest): Promise<IPayloadProblem[]> {
    const sizes = new Map<string, Map<string, number>>();
    for (const id of referencedCheckpoints(manifest)) {
      sizes.set(id, await this.folderSizes(id));
    }
    const problems: IPayloadProblem[] = [];
    for (const { file, bytes } of manifestFiles(manifest)) {
      const { checkpointId, name } = splitPayloadPath(file)!;
      const actual = sizes.get(checkpointId)?.get(name);
      if (actual === undefined) {
        problems.push({ file, problem: 'missing', expectedBytes: bytes });
      } else if (actual !== bytes) {
        problems.push({ file, problem: 'size', actualBytes: actual, expectedBytes: bytes });
      }
    }
    return problems;
  }

  /**
   * Delete unreferenced payload folders: at once those the previous manifest referenced, the
   * others once stale; never one this process is writing, never a folder not named like a
   * checkpoint id (not ours). A failed removal is a warning: the commit has happened.
   */
  protected async collectGarbage(
    keep: Set<string>,
    previous: Set<string>
  ): Promise<Pick<ICommitResult, 'removed' | 'kept' | 'warnings'>> {
    const result = { removed: [] as string[], kept: [] as string[], warnings: [] as string[] };
    let folders: string[];
    try {
      folders = await this.payloadFolders();
    } catch (err) {
      result.warnings.push(`could not list the payload folders of ${this.uri}: ${errorMessage(err)}`);
      return result;
    }
    const now = Date.now();
    for (const id of folders.sort()) {
      const time = checkpointTime(id);
      if (keep.has(id) || time === null) {
        continue;
      }
      const stale = previous.has(id) || now - time.getTime() >= this.staleAfterMs;
      if (!stale || this.isWriting(id)) {
        result.kept.push(id);
        continue;
      }
      try {
        await this.removeFolder(id);
        result.removed.push(id);
      } catch (err) {
        result.warnings.push(
          `could not remove the payloads of checkpoint ${id} from ${this.uri}: ${errorMessage(err)}`
        );
      }
    }
    return result;
  }

  /** Validate a manifest to commit; a malformed one is the caller's bug ('invalid'). */
  protected validateForCommit(input: ManifestInput): IManifest {
    try {
      return parseManifest(input, `manifest to commit to ${this.uri}`);
    } catch (err) {
      if (isBundleError(err)) {
        throw new BundleError('invalid', err.message);
      }
      throw err;
    }
  }

  /** Check a checkpoint id argument. */
  protected checkId(checkpointId: string): void {
    if (!isCheckpointId(checkpointId)) {
      throw new BundleError(
        'invalid',
        `'${checkpointId}' is not a checkpoint id (expected <UTC yyyymmddThhmmssZ>-<8 hex>, like 20261121T101500Z-1a2b3c4d)`
      );
    }
  }

  /** The file names of `files`, each of which must be `payloads/<checkpointId>/<name>` (duplicates dropped). */
  protected stagedNames(checkpointId: string, files: string[]): string[] {
    this.checkId(checkpointId);
    const names = new Set<string>();
    for (const file of files) {
      const parts = splitPayloadPath(file);
      if (parts === null || parts.checkpointId !== checkpointId) {
        throw new BundleError(
          'invalid',
          `'${file}' is not a payload of checkpoint ${checkpointId} (expected payloads/${checkpointId}/<file name>)`
        );
      }
      names.add(parts.name);
    }
    return [...names];
  }

  /** Check bundle-relative payload paths to fetch, and give the size the manifest records for each. */
  protected fetchList(manifest: IManifest, files: string[]): { file: string; bytes: number | null }[] {
    const recorded = new Map(manifestFiles(manifest).map(f => [f.file, f.bytes]));
    return [...new Set(files)].map(file => {
      if (splitPayloadPath(file) === null) {
        throw new BundleError(
          'invalid',
          `'${file}' is not a payload path (expected payloads/<checkpointId>/<file name>)`
        );
      }
      return { file, bytes: recorded.get(file) ?? null };
    });
  }

  /** Mark `checkpointId` as being written by this process (garbage collection leaves it alone). */
  protected startWriting(checkpointId: string): void {
    let ids = writing.get(this.uri);
    if (!ids) {
      ids = new Set();
      writing.set(this.uri, ids);
    }
    ids.add(checkpointId);
  }

  /** The checkpoint is committed or abandoned. */
  protected stopWriting(checkpointId: string): void {
    const ids = writing.get(this.uri);
    ids?.delete(checkpointId);
    if (ids?.size === 0) {
      writing.delete(this.uri);
    }
  }

  protected isWriting(checkpointId: string): boolean {
    return writing.get(this.uri)?.has(checkpointId) ?? false;
  }

  /** The checkpoint ids the current manifest refers to (none when there is no readable manifest). */
  protected async currentReferences(): Promise<Set<string>> {
    return this.readManifest().then(
      m => referencedCheckpoints(m),
      () => new Set<string>()
    );
  }
}
