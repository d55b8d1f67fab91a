/**
 * Follow a companion job by polling it until it ends. The job runs in the companion whatever the
 * browser does; this only watches. Short outages (the companion restarting, a network hiccup)
 * are waited out; a job the companion no longer knows ends the watch with an error.
 */
import { ApiError } from '../shared/api';
import type { IJob } from '@elastic-notebook/protocol';
import { ICheckpointService } from './checkpointService';

/** How often a running job is polled. */
export const POLL_MS = 500;
/** Consecutive failed polls tolerated before giving up. */
const MAX_FAILURES = 20;

/** Options of {@link followJob}. */
export interface IFollowOptions {
  intervalMs?: number;
  /** Stop watching (the job goes on) when this returns true. */
  stopped?: () => boolean;
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * Poll `jobId` until it is no longer running, calling `onUpdate` with every state seen, and
 * resolve with the last one (or the last seen when `stopped()` became true). Rejects with an
 * `ApiError` when the job is unknown (404) or the server keeps failing.
 */
export async function followJob(
  service: ICheckpointService,
  jobId: string,
  onUpdate: (job: IJob) => void,
  options: IFollowOptions = {}
): Promise<IJob | null> {
  let failures = 0;
  let last: IJob | null = null;
  while (!options.stopped?.()) {
    try {
      last = await service.job(jobId);
      failures = 0;
      onUpdate(last);
      if (last.state !== 'running') {
        return last;
      }
    } catch (error) {
      const status = error instanceof ApiError ? error.status : 0;
      // Unreachable or unavailable (a restarting companion answers 502/503): try again.
      if ((status !== 0 && status < 500) || ++failures >= MAX_FAILURES) {
        throw error;
      }
    }
    await sleep(options.intervalMs ?? POLL_MS);
  }
  return last;
}
