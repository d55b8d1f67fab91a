/**
 * The target side's last step of a migration, whichever way the bundle came (an incoming
 * transfer, or the S3 store both sides share): open a notebook session with a new kernel through
 * the server extension's internal `sessions` route (or take the one prepared for it while the
 * source checkpointed) and start a restore job into it. The bundle is
 * a copy in transit: `release` removes it when the job ends, whatever its outcome, and a failed
 * or cancelled restore also ends the session, so that a failed migration leaves nothing here.
 */
import type { IIncomingRestoreStarted } from '@elastic-notebook/protocol';
import { errorMessage } from '../bundle/errors';
import type { IKernelAccess } from '../companion/kernelAccess';
import type { CompanionMeasurements } from '../companion/measurements';
import { HttpError } from '../http';
import type { IJobContext } from '../jobs/job';
import type { JobRegistry } from '../jobs/jobRegistry';
import type { ArrivingPayloads } from './arrivingPayloads';
import type { IPreparedSession } from './preparedSessions';
import { runRestoreJob } from '../jobs/restoreJob';
import { MigrationError } from '../migrate/migrationError';

/** What a restore into a new session needs. */
export interface ISessionRestoreServices {
  jobs: JobRegistry;
  kernels: IKernelAccess;
  measurements: CompanionMeasurements;
  baseDir: string;
  warn: (message: string) => void;
}

/** One bundle to restore into a new session. */
export interface ISessionRestoreRequest {
  /** The bundle (a folder or an `s3://` URI). */
  uri: string;
  /** The notebook the session binds, relative to the Jupyter root. */
  notebookPath: string;
  /** The kernel to start (null: the server's default). */
  kernelName: string | null;
  /** Remove the bundle in transit; runs when the job ends, whatever its outcome. */
  release: () => Promise<unknown>;
  /** The session prepared for this restore, ready and fitting the request: used instead of a new one. */
  prepared?: { session: { kernelId: string; sessionId: string }; prepared: IPreparedSession } | null;
  /** Payloads still arriving (a pipelined migration): each load waits for its file. */
  arriving?: ArrivingPayloads;
}

/** Open the session and start the restore job; answers what the target's routes answer (202). */
export async function restoreIntoNewSession(
  services: ISessionRestoreServices,
  request: ISessionRestoreRequest
): Promise<IIncomingRestoreStarted> {
  const { kernels, measurements, baseDir } = services;
  const ready = request.prepared ?? null;
  const session =
    ready?.session ??
    (await kernels.createSession(request.notebookPath, request.kernelName).catch(err => {
      throw new HttpError(502, errorMessage(err), { expose: true });
    }));
  const restore = {
    kernelId: session.kernelId,
    uri: request.uri,
    freshKernel: true,
    arriving: request.arriving,
    ...(ready ? { prepared: { startMs: ready.prepared.startMs, bootstrapMs: ready.prepared.bootstrapMs } } : {})
  };
  const task = async (context: IJobContext) => {
    try {
      const result = await runRestoreJob({ kernels, measurements, baseDir }, restore, context);
      if (context.signal.aborted) {
        // Cancelled during its last step: the sender has given up, so keep nothing.
        throw new MigrationError('the restore was cancelled');
      }
      return { ...result, ...session, prepared: ready?.prepared.times ?? null };
    } catch (err) {
      // A failed migration leaves nothing running here.
      await kernels
        .deleteSession(session.sessionId)
        .catch(e => services.warn(`elastic-notebook: could not end session ${session.sessionId}: ${errorMessage(e)}`));
      throw err;
    } finally {
      // The bundle was a copy in transit: the restored kernel's own checkpoints are made anew.
      await request.release();
    }
  };
  const job = services.jobs.start('restore', session.kernelId, request.uri, task);
  return { jobId: job.id, kernelId: session.kernelId, sessionId: session.sessionId };
}
