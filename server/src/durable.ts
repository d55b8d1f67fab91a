/**
 * Durable file-system writes: what is on disk after these resolve survives a crash or power cut.
 * The history store, the local bundle store and checkpoints all build on them.
 */
import { promises as fs } from 'fs';

/** Fsync a file or a folder (a folder's fsync makes the entries created or renamed in it durable). */
export async function syncPath(target: string): Promise<void> {
  const handle = await fs.open(target, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Write `data` to `file` (created or truncated) and fsync it; the folder entry is the caller's. */
export async function writeFileDurably(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await fs.open(file, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
