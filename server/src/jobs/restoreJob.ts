/**
 * The restore job: restore a bundle into a live kernel of the Jupyter server (the notebook the
 * user restores from keeps its kernel id, so JupyterLab stays connected). The orchestrator
 * (`restore()` in server/src/migrate) reads the manifest and checks the bundle's history first;
 * only then does it ask for a kernel (while the payloads are fetched), which this job makes by
 * restarting the user's kernel (a fresh process) and loading the agent into it, again for each
 * fallback attempt.
 */
import { performance } from 'perf_hooks';
import { restoreObservations } from '../migrate/measurementLog';
import { IRestoreKernel, IRestoreOutcome, restore } from '../migrate/restore';
import { MigrationError } from '../migrate/migrationError';
import { IS3Options, openStore } from '../storage/index';
import { IKernelAccess } from '../companion/kernelAccess';
import { CompanionMeasurements } from '../companion/measurements';
import { errorMessage } from '../bundle/errors';
import type { ArrivingPayloads } from '../transfer/arrivingPayloads';
import { IJobContext } from './job';

/** What the restore job needs from the companion. */
export interface IRestoreJobServices {
  kernels: IKernelAccess;
  measurements: CompanionMeasurements;
  /** Folder relative bundle paths are resolved against. */
  baseDir: string;
}

/** One restore to make. */
export interface IRestoreJobRequest {
  kernelId: string;
  /** The bundle to read (canonical URI). */
  uri: string;
  s3?: IS3Options;
  /**
   * The kernel was just started for this restore (a migration's target session): the first
   * attempt uses it as it is, only a fallback attempt restarts it.
   */
  freshKernel?: boolean;
  /**
   * The kernel was prepared for this restore while the source checkpointed (started, agent
   * loaded, modules imported; transfer/preparedSessions.ts): the first attempt takes it as it is.
   */
  prepared?: { startMs: number; bootstrapMs: number };
  /** Payloads still arriving (a pipelined migration): each load waits for its file. */
  arriving?: ArrivingPayloads;
}

/** The job's result: the CLI's `restore --json` fields, for the restored kernel. */
export type IRestoreJobResult = Omit<IRestoreOutcome, 'kernel'> & { kernelId: string; notebook: string | null };

/** Restore `request.uri` into `request.kernelId`. */
export async function runRestoreJob(
  services: IRestoreJobServices,
  request: IRestoreJobRequest,
  context: IJobContext
): Promise<IRestoreJobResult> {
  const { kernelId } = request;
  const opened = openStore(request.uri, { cwd: services.baseDir, s3: request.s3 });
  const store = request.arriving ? request.arriving.store(opened) : opened;
  let restarts = 0;
  let attempts = 0;
  let notebook: string | null = null;
  const openKernel = async (manifest: { notebook: { path: string | null } }): Promise<IRestoreKernel> => {
    notebook = manifest.notebook.path;
    const t0 = performance.now();
    if (request.prepared && attempts === 0) {
      context.step('loading the agent into the new kernel');
      context.step('the kernel was started and its modules imported while the source checkpointed');
      attempts += 1;
      return {
        ...services.kernels.channel(kernelId),
        ...request.prepared,
        close: async () => undefined
      };
    }
    if (request.freshKernel && attempts === 0) {
      context.step('loading the agent into the new kernel');
    } else {
      context.step(restarts === 0 ? 'restarting the kernel' : 'restarting the kernel for another attempt');
      restarts += 1;
      await services.kernels.restart(kernelId);
      context.step('loading the agent into the restarted kernel');
    }
    attempts += 1;
    const t1 = performance.now();
    await services.kernels.bootstrap(kernelId);
    return {
      ...services.kernels.channel(kernelId),
      startMs: t1 - t0,
      bootstrapMs: performance.now() - t1,
      // The kernel is the user's: never shut it down, the next attempt restarts it anyway.
      close: async () => undefined
    };
  };
  let outcome: IRestoreOutcome;
  try {
    outcome = await restore({
      store,
      openKernel,
      onStep: message => context.step(message),
      onProgress: (done, total) => context.progress(done, total),
      signal: context.signal,
      arriving: request.arriving
    });
  } catch (err) {
    if (attempts > 0) {
      // Say what state the user's kernel is in now.
      const which = restarts > 0 ? 'the kernel was restarted and' : 'the new kernel';
      throw new MigrationError(`${errorMessage(err)} (${which} holds only part of the session)`);
    }
    throw err;
  } finally {
    await store.close();
  }
  await services.measurements.record(outcome.bundle, restoreObservations(outcome), request.s3?.endpoint);
  const { kernel: _kernel, ...rest } = outcome;
  return { kernelId, notebook, ...rest };
}
