/**
 * What the routes that start or touch jobs share: reaching kernels (or answering 503 with why
 * not), refusing a bundle another job is using, starting a job (202, or 409 for a busy kernel),
 * and the S3 settings a request may carry.
 */
import type { Response } from 'express';
import type { IKernelAccess } from '../companion/kernelAccess';
import { HttpError } from '../http';
import { JobRegistry, KernelBusyError } from '../jobs/jobRegistry';
import type { IS3Options } from '../storage/index';

/** How the job routes reach kernels: the access, or why there is none. */
export interface IKernelReach {
  access: IKernelAccess | null;
  /** Why kernels cannot be reached (the 503 answer's message). */
  unavailable: string;
}

/** The kernel access, or a 503 that says why the companion has none. */
export function kernelsOf(reach: IKernelReach): IKernelAccess {
  if (!reach.access) {
    throw new HttpError(503, reach.unavailable, { expose: true });
  }
  return reach.access;
}

/** Throw a 409 (with the busy job's id) when a job is using bundle `uri`. */
export function refuseIfBundleBusy(jobs: JobRegistry, uri: string): void {
  const busy = jobs.usingBundle(uri);
  if (busy) {
    throw new HttpError(409, `a ${busy.kind} of kernel ${busy.kernelId} is using ${uri}; wait for it or cancel it`, {
      body: { jobId: busy.id }
    });
  }
}

/** Start a job and answer 202 `{jobId, uri}`, or 409 (with the running job's id) when the kernel is busy. */
export function startJob(res: Response, start: () => ReturnType<JobRegistry['start']>): void {
  let job: ReturnType<JobRegistry['start']>;
  try {
    job = start();
  } catch (err) {
    if (err instanceof KernelBusyError) {
      throw new HttpError(409, err.message, { body: { jobId: err.job.id } });
    }
    throw err;
  }
  res.status(202).json({ jobId: job.id, uri: job.uri });
}

/** S3 options from validated request fields (`s3` in bodies, `s3Endpoint`/`s3Region` in queries). */
export function s3Options(s3: { endpoint?: string; region?: string } | undefined): IS3Options | undefined {
  if (!s3 || (s3.endpoint === undefined && s3.region === undefined)) {
    return undefined;
  }
  return { ...(s3.endpoint ? { endpoint: s3.endpoint } : {}), ...(s3.region ? { region: s3.region } : {}) };
}
