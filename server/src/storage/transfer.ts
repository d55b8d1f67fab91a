/** Small helpers shared by the stores: progress totals, cancellation, bounded concurrency, timing. */
import { performance } from 'perf_hooks';
import { BundleError } from '../bundle/errors';

/**
 * Sums the progress of several files into one monotonic `(bytesDone, bytesTotal)` report. Each
 * file reports its own loaded byte count; a smaller report for a file (a retried part) is ignored.
 */
export class ProgressMeter {
  private readonly loaded = new Map<string, number>();
  private done = 0;

  constructor(
    readonly total: number,
    private readonly onProgress?: (bytesDone: number, bytesTotal: number) => void
  ) {}

  /** File `key` has now moved `bytes` bytes in all. */
  update(key: string, bytes: number): void {
    const before = this.loaded.get(key) ?? 0;
    if (bytes <= before) {
      return;
    }
    this.loaded.set(key, bytes);
    this.done += bytes - before;
    this.onProgress?.(Math.min(this.done, this.total), this.total);
  }

  /** Report the end (also when there was nothing to move, so that callers always see 100%). */
  finish(): void {
    this.onProgress?.(this.total, this.total);
  }
}

/** Throw `BundleError` 'cancelled' if `signal` is aborted. */
export function throwIfCancelled(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) {
    throw cancelled(what);
  }
}

/** The error of a cancelled operation. */
export function cancelled(what: string): BundleError {
  return new BundleError('cancelled', `${what} was cancelled`);
}

/**
 * Run `task` on every item with at most `limit` running at once. After the first failure no new
 * item starts; the started ones are awaited, then the first error is thrown.
 */
export async function mapPool<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  const failures: unknown[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (failures.length === 0 && next < items.length) {
      const index = next++;
      try {
        results[index] = await task(items[index]);
      } catch (err) {
        failures.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failures.length > 0) {
    throw failures[0];
  }
  return results;
}

/** Milliseconds since `started` (a `performance.now()` value). */
export function elapsedMs(started: number): number {
  return performance.now() - started;
}

/** `performance.now()`, for `elapsedMs`. */
export function now(): number {
  return performance.now();
}
