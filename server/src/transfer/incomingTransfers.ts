/**
 * The target side of a migration's transfer: bundles arriving from another companion, one folder
 * per transfer under `<dataDir>/incoming/<transferId>/`, announced first (paths, sizes, SHA-256),
 * then appended to chunk by chunk. A chunk must start exactly where the file's received bytes end
 * and match its own checksum, so a sender whose connection was cut asks for the received bytes
 * and resumes from there; nothing is ever written twice or out of order. The announcement lives
 * beside the folder (`<transferId>.json`), so the folder holds nothing but the bundle; its
 * modification time is the transfer's last activity, and a transfer idle for a day (its sender
 * gone for good) is removed when the next one is announced.
 */
import { createHash, randomBytes } from 'crypto';
import { createReadStream, promises as fs } from 'fs';
import path from 'path';
import type { IIncomingStatus } from '@elastic-notebook/protocol';
import { incomingFileSchema, MAX_CHUNK_BYTES, MAX_TRANSFER_FILES } from '@elastic-notebook/protocol/schemas';
import { z } from 'zod';
import { syncPath } from '../durable';
import { HttpError } from '../http';
import { ensureRoom, freeBytes, isNoSpace, noSpaceError } from './diskSpace';

/** One announced file. */
export type IncomingFile = z.infer<typeof incomingFileSchema>;

/** The SHA-256 of `data` in lowercase hex. */
export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The SHA-256 of a whole file in lowercase hex, read as a stream. */
export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/** The bytes of a file on disk, 0 when it does not exist yet. */
async function sizeOf(file: string): Promise<number> {
  return fs.stat(file).then(
    stat => stat.size,
    () => 0
  );
}

/** A transfer's announcement, kept beside its folder. */
interface ITransferMeta {
  files: IncomingFile[];
  /** More files may be announced. */
  open: boolean;
}

/** How long a transfer may stay idle before the next announcement removes it (a day). */
export const STALE_TRANSFER_MS = 24 * 60 * 60 * 1000;

/** The transfers arriving at one companion. */
export class IncomingTransfers {
  /** `<dataDir>/incoming`. */
  readonly root: string;
  /** Appends in progress per transfer, so that two chunks of one transfer never interleave. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'incoming');
  }

  /** The folder a transfer's files land in (the bundle, once complete). */
  folder(transferId: string): string {
    return path.join(this.root, transferId);
  }

  /**
   * Remove transfers idle for longer than `staleMs`, except those `inUse` says are being
   * restored; answers their ids.
   */
  async prune(inUse: (transferId: string) => boolean, staleMs = STALE_TRANSFER_MS): Promise<string[]> {
    const names = await fs.readdir(this.root).catch(() => [] as string[]);
    const removed: string[] = [];
    for (const name of names.filter(n => n.endsWith('.json'))) {
      const transferId = name.slice(0, -'.json'.length);
      const stat = await fs.stat(path.join(this.root, name)).catch(() => null);
      if (stat && Date.now() - stat.mtimeMs > staleMs && !inUse(transferId)) {
        await this.remove(transferId);
        removed.push(transferId);
      }
    }
    return removed;
  }

  /**
   * Announce a transfer's files; answers its new id. The caller validated `files`. An `open`
   * transfer gets more files with {@link addFiles} (a pipelined migration announces each payload
   * once the source has written it). A 507 when the data folder has no room for them (nothing is
   * created then).
   */
  async create(files: IncomingFile[], options: { open?: boolean } = {}): Promise<string> {
    await ensureRoom(
      path.dirname(this.root),
      files.reduce((sum, file) => sum + file.bytes, 0)
    );
    const transferId = randomBytes(12).toString('hex');
    await fs.mkdir(this.folder(transferId), { recursive: true });
    await this.writeMeta(transferId, { files, open: options.open === true });
    await syncPath(this.root);
    return transferId;
  }

  /**
   * Announce more files of an open transfer (400 when it is not open). A file announced again
   * with the same size and checksum is accepted as it is (a sender retrying), with others a 409;
   * a 507 when the data folder has no room for the new ones.
   */
  addFiles(transferId: string, files: IncomingFile[]): Promise<IncomingFile[]> {
    return this.serialized(transferId, async () => {
      const meta = await this.meta(transferId);
      if (!meta.open) {
        throw new HttpError(400, `transfer ${transferId} is not open: all of its files were announced at once`);
      }
      const known = new Map(meta.files.map(file => [file.path, file]));
      const added: IncomingFile[] = [];
      for (const file of files) {
        const before = known.get(file.path);
        if (before && (before.bytes !== file.bytes || before.sha256 !== file.sha256)) {
          throw new HttpError(
            409,
            `${file.path} of transfer ${transferId} was announced with another size or checksum`
          );
        }
        if (!before) {
          known.set(file.path, file);
          added.push(file);
        }
      }
      if (known.size > MAX_TRANSFER_FILES) {
        throw new HttpError(400, `a transfer holds at most ${MAX_TRANSFER_FILES} files`);
      }
      // Room for what is announced now (what arrived already is off the free space): a 507 otherwise.
      await ensureRoom(
        path.dirname(this.root),
        added.reduce((sum, file) => sum + file.bytes, 0)
      );
      await this.writeMeta(transferId, { ...meta, files: [...known.values()] });
      return added;
    });
  }

  /** The announced files of a transfer, or a 404. */
  async files(transferId: string): Promise<IncomingFile[]> {
    return (await this.meta(transferId)).files;
  }

  /** Each file with the bytes received so far: where a sender resumes. */
  async status(transferId: string): Promise<IIncomingStatus> {
    const { files, open } = await this.meta(transferId);
    const withReceived = await Promise.all(
      files.map(async file => ({ ...file, received: await sizeOf(this.filePath(transferId, file.path)) }))
    );
    return {
      transferId,
      files: withReceived,
      complete: withReceived.every(file => file.received === file.bytes),
      ...(open ? { open } : {})
    };
  }

  /** The announcement of a transfer, or a 404. */
  private async meta(transferId: string): Promise<ITransferMeta> {
    let text: string;
    try {
      text = await fs.readFile(this.metaPath(transferId), 'utf8');
    } catch {
      throw new HttpError(404, `no incoming transfer ${transferId} (it finished, was cancelled, or never existed)`);
    }
    const meta = JSON.parse(text) as Partial<ITransferMeta>;
    return { files: meta.files ?? [], open: meta.open === true };
  }

  /** Replace the announcement in one atomic step (a reader sees the old one or the new one). */
  private async writeMeta(transferId: string, meta: ITransferMeta): Promise<void> {
    const temp = `${this.metaPath(transferId)}.tmp`;
    await fs.writeFile(temp, JSON.stringify(meta), { mode: 0o600 });
    await fs.rename(temp, this.metaPath(transferId));
  }

  private metaPath(transferId: string): string {
    return path.join(this.root, `${transferId}.json`);
  }

  /**
   * Append a chunk to `filePath` at `offset`: 400 for an unannounced file, a chunk beyond the
   * announced size or a checksum mismatch, 409 `{expectedOffset}` when `offset` is not where the
   * received bytes end, 413 for a chunk over the limit. Answers the bytes received after it.
   */
  append(transferId: string, filePath: string, offset: number, sha256: string, data: Buffer): Promise<number> {
    return this.serialized(transferId, () => this.appendNow(transferId, filePath, offset, sha256, data));
  }

  /** Run `task` after every earlier append or announcement of the same transfer. */
  private serialized<T>(transferId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(transferId) ?? Promise.resolve();
    const next = previous.then(task, task);
    const settled = next.catch(() => undefined);
    this.queues.set(transferId, settled);
    void settled.then(() => {
      if (this.queues.get(transferId) === settled) {
        this.queues.delete(transferId);
      }
    });
    return next;
  }

  /**
   * Check that every file is complete and matches its announced SHA-256 (409 when one is still
   * incomplete, 422 when one is corrupt); answers the bundle's folder. With `arriving` (an open
   * transfer whose restore starts while payloads arrive), only those files must be complete, the
   * others only when they are.
   */
  async verify(transferId: string, arriving?: { required: string[] }): Promise<string> {
    const status = await this.status(transferId);
    const required = arriving ? new Set(arriving.required) : null;
    const missing = status.files.find(
      file => file.received !== file.bytes && (required === null || required.has(file.path))
    );
    if (missing) {
      throw new HttpError(
        409,
        `transfer ${transferId} is incomplete: ${missing.path} has ${missing.received} of ${missing.bytes} bytes`
      );
    }
    for (const file of status.files.filter(f => f.received === f.bytes)) {
      if (file.bytes === 0) {
        // No chunk ever comes for an empty file.
        await fs.mkdir(path.dirname(this.filePath(transferId, file.path)), { recursive: true });
        await fs.writeFile(this.filePath(transferId, file.path), '', { mode: 0o600 });
      }
      const actual = await fileSha256(this.filePath(transferId, file.path));
      if (actual !== file.sha256) {
        throw new HttpError(422, `${file.path} of transfer ${transferId} does not match its SHA-256; send it again`);
      }
    }
    return this.folder(transferId);
  }

  /**
   * Remove a transfer's folder and announcement; false when it did not exist. Waits for the
   * chunks being written, so that none of them makes the folder again afterwards.
   */
  async remove(transferId: string): Promise<boolean> {
    await this.queues.get(transferId);
    return this.removeNow(transferId);
  }

  private async removeNow(transferId: string): Promise<boolean> {
    const meta = path.join(this.root, `${transferId}.json`);
    const existed = await fs.stat(meta).then(
      () => true,
      () => false
    );
    await fs.rm(this.folder(transferId), { recursive: true, force: true });
    await fs.rm(meta, { force: true });
    return existed;
  }

  private filePath(transferId: string, relative: string): string {
    // `relative` passed transferPathSchema: no absolute path, no `.` or `..` segment.
    return path.join(this.folder(transferId), ...relative.split('/'));
  }

  private async appendNow(
    transferId: string,
    filePath: string,
    offset: number,
    sha256: string,
    data: Buffer
  ): Promise<number> {
    const files = await this.files(transferId);
    const file = files.find(f => f.path === filePath);
    if (!file) {
      throw new HttpError(400, `path: ${filePath} is not a file of transfer ${transferId}`);
    }
    if (data.length > MAX_CHUNK_BYTES) {
      throw new HttpError(413, `a chunk holds at most ${MAX_CHUNK_BYTES} bytes, got ${data.length}`);
    }
    if (sha256Hex(data) !== sha256) {
      throw new HttpError(400, `the chunk of ${filePath} at ${offset} does not match its sha256: send it again`);
    }
    const target = this.filePath(transferId, filePath);
    const received = await sizeOf(target);
    if (offset !== received) {
      throw new HttpError(409, `${filePath} has ${received} bytes: the next chunk starts at offset ${received}`, {
        body: { expectedOffset: received }
      });
    }
    if (offset + data.length > file.bytes) {
      throw new HttpError(
        400,
        `the chunk of ${filePath} ends at ${offset + data.length}, beyond its announced ${file.bytes} bytes`
      );
    }
    try {
      await fs.mkdir(path.dirname(target), { recursive: true });
      const handle = await fs.open(target, 'a', 0o600);
      try {
        // writeFile writes all of it (a single write may stop short when the disk fills up).
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (err) {
      if (!isNoSpace(err)) {
        throw err;
      }
      // The disk filled up under the transfer: it cannot finish, so it keeps nothing.
      await this.removeNow(transferId);
      // It is removed: sending it again needs room for all of it.
      const total = files.reduce((sum, f) => sum + f.bytes, 0);
      throw noSpaceError(await freeBytes(path.dirname(this.root)).catch(() => 0), total);
    }
    const now = new Date();
    await fs.utimes(path.join(this.root, `${transferId}.json`), now, now); // the last activity
    return offset + data.length;
  }
}
