/**
 * Checkpoint ids: `<UTC yyyymmddThhmmssZ>-<8 hex>` (docs/checkpoint.md section 1). They sort by
 * creation time, name the payload folder of a checkpoint, and are safe as a path segment.
 */
import { randomBytes } from 'crypto';

const PATTERN = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-[0-9a-f]{8}$/;

/** A fresh checkpoint id for `now` (UTC, second precision) with 32 random bits. */
export function newCheckpointId(now: Date = new Date()): string {
  const stamp = now.toISOString().slice(0, 19).replace(/[-:]/g, '');
  return `${stamp}Z-${randomBytes(4).toString('hex')}`;
}

/** Whether `value` is a well-formed checkpoint id with a real calendar time. */
export function isCheckpointId(value: string): boolean {
  return checkpointTime(value) !== null;
}

/** The creation time encoded in a checkpoint id, or null if `value` is not a checkpoint id. */
export function checkpointTime(value: string): Date | null {
  const match = PATTERN.exec(value);
  if (!match) {
    return null;
  }
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const time = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Date.UTC rolls over (month 13, Feb 30...): only an exact round trip is a real time.
  const valid =
    time.getUTCFullYear() === year &&
    time.getUTCMonth() === month - 1 &&
    time.getUTCDate() === day &&
    time.getUTCHours() === hour &&
    time.getUTCMinutes() === minute &&
    time.getUTCSeconds() === second;
  return valid ? time : null;
}
