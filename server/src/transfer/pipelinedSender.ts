/**
 * Sending a bundle's files to the target while the bundle is still being written (a pipelined
 * migration): each file is queued as soon as it is complete on this machine, then announced to
 * the open transfer (`POST incoming/:id/files`) and sent in chunks by {@link sendFiles} (so a cut
 * connection resumes from the last confirmed byte, as for a transfer announced at once). Files go
 * one after the other in queue order; `urgent` files go before those still waiting (the
 * manifest, history and random states, which the target's restore needs to start while the
 * payloads still arrive).
 */
import type { IncomingFilesRequestBody } from '@elastic-notebook/protocol/schemas';
import { INCOMING_API, IOutgoingFile, ISendOptions, outgoingFiles, sendFiles } from './sendFiles';
import { TargetClient } from './targetClient';

/** A file that reached the target, with when (epoch ms, this machine's clock). */
export interface ISentFile {
  path: string;
  bytes: number;
  /** When it was queued: the moment it was known complete here. */
  writtenAt: number;
  /** When the target confirmed its last byte. */
  receivedAt: number;
}

/** A queued file. */
interface IQueued {
  path: string;
  source: string;
  writtenAt: number;
  /**
   * Its size and checksum, resolved once announced to the target; set (once) by whichever of the
   * sender and {@link PipelinedSender.announceQueued} comes first, so that the other waits for
   * that announcement instead of making a second one (which could come after the restore began).
   */
  announcement: Promise<IOutgoingFile> | null;
  sent: Promise<void>;
  done: () => void;
  urgent: boolean;
}

/** The sender of one open transfer. */
export class PipelinedSender {
  private readonly queue: IQueued[] = [];
  private readonly files = new Map<string, IQueued>();
  private readonly sent: ISentFile[] = [];
  private draining: Promise<void> | null = null;
  private error: unknown = null;
  private bytesDone = 0;
  private bytesKnown = 0;
  private firstStart: number | null = null;
  private lastEnd: number | null = null;

  /**
   * @param onError - called once, with the first failure (the caller stops writing files then).
   */
  constructor(
    private readonly client: TargetClient,
    private readonly transferId: string,
    private readonly options: ISendOptions,
    private readonly onError: (err: unknown) => void
  ) {}

  /** Queue a complete local file (once per path; later calls for the same path are ignored). */
  add(file: { path: string; source: string }, options: { urgent?: boolean } = {}): void {
    if (this.files.has(file.path)) {
      return;
    }
    let done!: () => void;
    const sent = new Promise<void>(resolve => (done = resolve));
    const urgent = options.urgent === true;
    const queued: IQueued = { ...file, writtenAt: Date.now(), announcement: null, sent, done, urgent };
    this.files.set(file.path, queued);
    // Urgent files in the order they came, before the others.
    this.queue.splice(urgent ? this.queue.filter(q => q.urgent).length : this.queue.length, 0, queued);
    this.draining = this.draining ?? this.drain();
  }

  /**
   * Drop the files still waiting that `keep` does not name (payloads a replanned checkpoint left
   * out of its manifest: the target's restore would not wait for them).
   */
  keepOnly(keep: Set<string>): void {
    for (const queued of this.queue.filter(q => !keep.has(q.path))) {
      this.queue.splice(this.queue.indexOf(queued), 1);
      queued.done();
    }
  }

  /**
   * Announce every queued file not announced yet, in one request: after this the target knows
   * the whole bundle (its restore waits for what is still arriving).
   */
  async announceQueued(): Promise<void> {
    const waiting = this.queue.filter(q => q.announcement === null);
    const all = this.announceNow(waiting);
    waiting.forEach((q, i) => (q.announcement = all.then(described => described[i])));
    // Files being sent meanwhile announce themselves: the target knows them too once this resolves.
    await Promise.all([all, ...[...this.files.values()].map(q => q.announcement)]);
  }

  /** Resolves once `path` reached the target; rejects with the first failure of any file. */
  async whenSent(path: string): Promise<void> {
    const queued = this.files.get(path);
    if (!queued) {
      throw new Error(`${path} was never queued`);
    }
    await Promise.race([queued.sent, this.finish()]);
    if (this.error !== null) {
      throw this.error;
    }
  }

  /** Wait until every queued file reached the target; rejects with the first failure. */
  async finish(): Promise<ISentFile[]> {
    while (this.draining) {
      await this.draining;
    }
    if (this.error !== null) {
      throw this.error;
    }
    return [...this.sent];
  }

  /** Bytes that reached the target. */
  get bytes(): number {
    return this.bytesDone;
  }

  /** From the first file's announcement to the last file's last byte, epoch ms (null before any). */
  get span(): { startAt: number; endAt: number } | null {
    return this.firstStart === null || this.lastEnd === null ? null : { startAt: this.firstStart, endAt: this.lastEnd };
  }

  private async drain(): Promise<void> {
    try {
      for (let next = this.queue.shift(); next && this.error === null; next = this.queue.shift()) {
        try {
          await this.sendOne(next);
        } catch (err) {
          this.error = err;
          this.onError(err);
        }
      }
    } finally {
      this.draining = null;
    }
  }

  private async sendOne(file: IQueued): Promise<void> {
    this.firstStart = this.firstStart ?? Date.now();
    file.announcement = file.announcement ?? this.announceNow([file]).then(([one]) => one);
    const described = await file.announcement;
    const before = this.bytesDone;
    await sendFiles(this.client, this.transferId, [described], {
      ...this.options,
      onProgress: done => this.options.onProgress?.(before + done, this.bytesKnown)
    });
    this.bytesDone += described.bytes;
    this.lastEnd = Date.now();
    this.sent.push({
      path: described.path,
      bytes: described.bytes,
      writtenAt: file.writtenAt,
      receivedAt: this.lastEnd
    });
    file.done();
  }

  /** Describe `files` (size, checksum) and announce them to the open transfer, in one request. */
  private async announceNow(files: Array<{ path: string; source: string }>): Promise<IOutgoingFile[]> {
    const described = await outgoingFiles(files);
    this.bytesKnown += described.reduce((sum, f) => sum + f.bytes, 0);
    if (described.length > 0) {
      await this.announce(described);
    }
    return described;
  }

  private async announce(files: IOutgoingFile[]): Promise<void> {
    const body: IncomingFilesRequestBody = {
      files: files.map(({ path, bytes, sha256 }) => ({ path, bytes, sha256 }))
    };
    await this.client.json(`${INCOMING_API}/${encodeURIComponent(this.transferId)}/files`, {
      method: 'POST',
      json: body,
      signal: this.options.signal
    });
  }
}
