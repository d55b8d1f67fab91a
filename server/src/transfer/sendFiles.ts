/**
 * The source side of a migration's transfer: announce a bundle's files to the target companion
 * (`POST incoming`), then send each file in chunks (`PUT incoming/:id/files?path&offset&sha256`,
 * the raw bytes as the body; offsets and checksums go in the query because the Jupyter proxy
 * forwards no custom headers). When a connection is cut or a proxy fails, the sender asks the
 * target how many bytes it holds (`GET incoming/:id`) and resumes from there, a few times.
 */
import { promises as fs } from 'fs';
import type { IIncomingCreated, IIncomingStatus } from '@elastic-notebook/protocol';
import { MAX_CHUNK_BYTES } from '@elastic-notebook/protocol/schemas';
import { MigrationError } from '../migrate/migrationError';
import { fileSha256, sha256Hex } from './incomingTransfers';
import { TargetClient, TargetError } from './targetClient';

/** The companion's transfer routes on the target, through its authenticated proxy. */
export const INCOMING_API = 'elastic-notebook/api/incoming';

/** One file to send. */
export interface IOutgoingFile {
  /** Its path inside the transfer (`manifest.json`, `payloads/<id>/g0.pkl`). */
  path: string;
  /** Where it is on this machine. */
  source: string;
  bytes: number;
  sha256: string;
}

/** Options of {@link sendFiles}. */
export interface ISendOptions {
  /** Bytes per chunk (default and at most 8 MiB). */
  chunkBytes?: number;
  /** Consecutive failed attempts of one chunk before giving up (default 5). */
  retries?: number;
  /** Pause before retrying, ms (doubled each time; default 200). */
  backoffMs?: number;
  signal?: AbortSignal;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  /** Called when a chunk is sent again after a failure (for the job's steps). */
  onRetry?: (message: string) => void;
}

/** Describe local files for a transfer: sizes and SHA-256. */
export async function outgoingFiles(files: Array<{ path: string; source: string }>): Promise<IOutgoingFile[]> {
  return Promise.all(
    files.map(async file => ({
      ...file,
      bytes: (await fs.stat(file.source)).size,
      sha256: await fileSha256(file.source)
    }))
  );
}

/** Announce `files` to the target; answers the transfer's id. */
export async function announce(client: TargetClient, files: IOutgoingFile[], signal?: AbortSignal): Promise<string> {
  const created = await client.json<IIncomingCreated>(INCOMING_API, {
    method: 'POST',
    json: { files: files.map(({ path, bytes, sha256 }) => ({ path, bytes, sha256 })) },
    signal
  });
  return created.transferId;
}

/** Send every file of transfer `transferId`, resuming each from what the target already holds. */
export async function sendFiles(
  client: TargetClient,
  transferId: string,
  files: IOutgoingFile[],
  options: ISendOptions = {}
): Promise<void> {
  const chunkBytes = Math.min(options.chunkBytes ?? MAX_CHUNK_BYTES, MAX_CHUNK_BYTES);
  const retries = options.retries ?? 5;
  const total = files.reduce((sum, file) => sum + file.bytes, 0);
  const base = `${INCOMING_API}/${encodeURIComponent(transferId)}`;
  const received = await receivedBytes(client, base, options.signal);
  let done = files.reduce((sum, file) => sum + (received.get(file.path) ?? 0), 0);
  options.onProgress?.(done, total);

  for (const file of files) {
    const handle = await fs.open(file.source, 'r');
    try {
      let offset = received.get(file.path) ?? 0;
      let failures = 0;
      while (offset < file.bytes) {
        options.signal?.throwIfAborted();
        const length = Math.min(chunkBytes, file.bytes - offset);
        const chunk = Buffer.alloc(length);
        const { bytesRead } = await handle.read(chunk, 0, length, offset);
        if (bytesRead !== length) {
          throw new MigrationError(`${file.source} changed while it was being sent`);
        }
        const query = `path=${encodeURIComponent(file.path)}&offset=${offset}&sha256=${sha256Hex(chunk)}`;
        let next: number;
        try {
          const answer = await client.json<{ received: number }>(`${base}/files?${query}`, {
            method: 'PUT',
            body: chunk,
            signal: options.signal
          });
          next = answer.received;
          failures = 0;
        } catch (err) {
          if (!(err instanceof TargetError) || !(err.transient || err.status === 409) || failures >= retries) {
            throw err;
          }
          failures += 1;
          options.onRetry?.(
            `sending ${file.path} again from the last confirmed byte (attempt ${failures + 1}): ${err.message}`
          );
          await pause((options.backoffMs ?? 200) * 2 ** (failures - 1), options.signal);
          if (err.status === 409 && typeof err.body?.expectedOffset === 'number') {
            next = err.body.expectedOffset;
          } else {
            // Whether the chunk landed is the target's to say; if it cannot say yet, the same
            // chunk goes again (a 409 then tells where the file really ends).
            const known = await receivedBytes(client, base, options.signal).catch(e => {
              if (e instanceof TargetError && e.transient) {
                return null;
              }
              throw e;
            });
            next = known?.get(file.path) ?? offset;
          }
        }
        done += next - offset;
        offset = next;
        options.onProgress?.(done, total);
      }
    } finally {
      await handle.close();
    }
  }
}

/** Bytes the target holds per file. */
async function receivedBytes(client: TargetClient, base: string, signal?: AbortSignal): Promise<Map<string, number>> {
  const status = await client.json<IIncomingStatus>(base, { signal });
  return new Map(status.files.map(file => [file.path, file.received]));
}

/** Wait `ms`, or reject when `signal` aborts. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true }
    );
  });
}
