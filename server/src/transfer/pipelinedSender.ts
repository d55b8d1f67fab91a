/**
 * Sending a bundle's files to the target while the bundle is still being written (a pipelined
 * migration): each file is queued as soon as it is complete on this machine, then announced to
 * the open transfer (`POST incoming/:id/files`) and sent in chunks by {@link sendFiles} (so a cut
 * connection resumes from the last confirmed byte, as for a transfer announced at once). Files go
 * one after the other, in the order they were queued; the manifest is queued last by the caller.
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

/** The sender of one open transfer. */
export class PipelinedSender {
  private chain: Promise<void> = Promise.resolve();
  private readonly queued = new Set<string>();
  private readonly sent: ISentFile[] = [];
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

  /** Whether `path` was queued already. */
  has(path: string): boolean {
    return this.queued.has(path);
  }

  /** Queue a complete local file (once per path; later calls for the same path are ignored). */
  add(file: { path: string; source: string }): void {
    if (this.queued.has(file.path)) {
      return;
    }
    this.queued.add(file.path);
    const writtenAt = Date.now();
    this.chain = this.chain.then(async () => {
      if (this.error !== null) {
        return;
      }
      try {
        await this.sendOne(file, writtenAt);
      } catch (err) {
        this.error = err;
        this.onError(err);
      }
    });
  }

  /** Wait until every queued file reached the target; rejects with the first failure. */
  async finish(): Promise<ISentFile[]> {
    await this.chain;
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

  private async sendOne(file: { path: string; source: string }, writtenAt: number): Promise<void> {
    this.firstStart = this.firstStart ?? Date.now();
    const [described] = await outgoingFiles([file]);
    this.bytesKnown += described.bytes;
    await this.announce(described);
    const before = this.bytesDone;
    await sendFiles(this.client, this.transferId, [described], {
      ...this.options,
      onProgress: done => this.options.onProgress?.(before + done, this.bytesKnown)
    });
    this.bytesDone += described.bytes;
    this.lastEnd = Date.now();
    this.sent.push({ path: described.path, bytes: described.bytes, writtenAt, receivedAt: this.lastEnd });
  }

  private async announce(file: IOutgoingFile): Promise<void> {
    const body: IncomingFilesRequestBody = { files: [{ path: file.path, bytes: file.bytes, sha256: file.sha256 }] };
    await this.client.json(`${INCOMING_API}/${encodeURIComponent(this.transferId)}/files`, {
      method: 'POST',
      json: body,
      signal: this.options.signal
    });
  }
}
