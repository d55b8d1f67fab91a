/**
 * Room for an incoming transfer on the target: announced bytes are checked against the free space
 * of the data folder (`statfs`) before anything is created, and a write that still runs out of
 * space (another process filled the disk meanwhile) becomes the same answer. Both are `507
 * {error, freeBytes, neededBytes}`, which the sender turns into "the target <name> has N free,
 * the checkpoint needs M".
 */
import { formatBytes } from '@elastic-notebook/protocol';
import { promises as fs } from 'fs';
import { HttpError } from '../http';

/** Room kept free beyond a transfer's bytes: its announcement, the restore's logs, the history. */
export const SPACE_MARGIN_BYTES = 4 * 1024 * 1024;

/** Bytes unprivileged writers may still use in `folder`'s file system. */
export async function freeBytes(folder: string): Promise<number> {
  await fs.mkdir(folder, { recursive: true });
  const stats = await fs.statfs(folder);
  return stats.bavail * stats.bsize;
}

/** The 507 answer: `freeBytes` free, `neededBytes` needed. */
export function noSpaceError(free: number, needed: number): HttpError {
  return new HttpError(
    507,
    `not enough disk space for the transfer: ${formatBytes(free)} free in the data folder, the checkpoint needs ${formatBytes(needed)}`,
    { expose: true, body: { freeBytes: free, neededBytes: needed } }
  );
}

/** Throw the 507 unless `folder` has room for `bytes` plus the margin. */
export async function ensureRoom(folder: string, bytes: number): Promise<void> {
  const free = await freeBytes(folder);
  if (free < bytes + SPACE_MARGIN_BYTES) {
    throw noSpaceError(free, bytes + SPACE_MARGIN_BYTES);
  }
}

/** Whether a write failed because its file system is full (or the user's quota is). */
export function isNoSpace(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** The message a sender shows for a target's 507 answer (`body` as the target sent it). */
export function targetSpaceMessage(label: string, body: Record<string, unknown> | null): string | null {
  if (typeof body?.freeBytes !== 'number' || typeof body.neededBytes !== 'number') {
    return null;
  }
  return `the target ${label} has ${formatBytes(body.freeBytes)} free, the checkpoint needs ${formatBytes(body.neededBytes)}: free some space there, or choose another target`;
}
