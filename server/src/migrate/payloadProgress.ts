/**
 * Following the kernel agent's progress file during a `checkpoint` call: the agent appends a JSON
 * line `{index, file, bytes}` as soon as each group's file is written and fsynced, while the call
 * is still running (the call itself answers only at its end). A pipelined migration sends each
 * file to the target as it appears here.
 */
import { promises as fs } from 'fs';

/** One payload file the agent finished, as its progress line says. */
export interface IWrittenPayload {
  /** The group's index in the plan. */
  index: number;
  /** The file's name in the staging folder (`g<k>.pkl`). */
  file: string;
  bytes: number;
}

/** How often the progress file is read, ms. */
const POLL_MS = 25;

/** A running follower of one progress file. */
export interface IPayloadProgress {
  /** Read what is left, report it, and stop. */
  stop(): Promise<void>;
}

/** Report every complete line appended to `file` to `onWritten` until stopped (the file may not exist yet). */
export function followPayloadProgress(
  file: string,
  onWritten: (payload: IWrittenPayload) => void,
  pollMs = POLL_MS
): IPayloadProgress {
  let offset = 0;
  let reading: Promise<void> = Promise.resolve();
  const readNew = async (): Promise<void> => {
    const text = await fs.readFile(file).catch(() => null);
    if (!text || text.length <= offset) {
      return;
    }
    // Only whole lines: the agent writes each line in one call, but a read may come in between.
    const end = text.lastIndexOf(0x0a) + 1;
    if (end <= offset) {
      return;
    }
    const lines = text.subarray(offset, end).toString('utf8').split('\n');
    offset = end;
    for (const line of lines.filter(l => l.trim() !== '')) {
      const entry = JSON.parse(line) as IWrittenPayload;
      if (typeof entry.file === 'string' && typeof entry.index === 'number') {
        onWritten(entry);
      }
    }
  };
  const timer = setInterval(() => {
    reading = reading.then(readNew).catch(() => undefined);
  }, pollMs);
  return {
    async stop() {
      clearInterval(timer);
      reading = reading.then(readNew).catch(() => undefined);
      await reading;
    }
  };
}
