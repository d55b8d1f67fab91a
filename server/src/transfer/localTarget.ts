/**
 * Migrating to "this machine" (target kind `local`): the session moves into a NEW kernel of the
 * same Jupyter server, for instance to get a clean process without losing the state. The
 * companion checkpoints into a staging bundle in its data folder, starts a kernel for the
 * notebook (its folder as working directory, as a session would), restores into it with the
 * same restore job the incoming route runs (no HTTP to itself), and once the restore verified,
 * moves the notebook's Jupyter sessions to the new kernel. The notebook file stays where it is.
 *
 * Moving the session (rather than opening another one) is what makes the open notebook follow:
 * JupyterLab 4's session manager polls `api/sessions` and a session connection whose model names
 * another kernel id disposes of its old kernel connection, connects to the new one and emits
 * `kernelChanged` (`SessionConnection.update` in @jupyterlab/services 7), so the notebook, its
 * kernel indicator and this extension's panel (which loads the agent on a kernel change) follow
 * without a reload. The old kernel keeps running, bound to no session, unless `stopSource`.
 *
 * After a failure or a cancel the new kernel is shut down and the sessions stay on the old one;
 * a restore whose verification finds differences is a failure here (the user's own notebook
 * would otherwise be switched to a kernel whose state differs).
 */
import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import path from 'path';
import { performance } from 'perf_hooks';
import type { IMigrateJobResult } from '@elastic-notebook/protocol';
import { errorMessage } from '../bundle/errors';
import type { IJobContext } from '../jobs/job';
import type { IDirectMigrationRequest, IMigrateJobServices } from '../jobs/migrateJob';
import { runRestoreJob } from '../jobs/restoreJob';
import { MigrationError } from '../migrate/migrationError';
import { checkpointForMigration } from './migrationCheckpoint';
import { notebookUrlOn } from './targets';

/** The data folder's staging folder: the same as the direct transfer's, which a restarted companion clears. */
const LOCAL_STAGING_DIR = 'outgoing';

/** Move `request.kernelId`'s session into a new kernel of this Jupyter server. */
export async function migrateToThisMachine(
  services: IMigrateJobServices,
  request: IDirectMigrationRequest,
  context: IJobContext
): Promise<IMigrateJobResult> {
  const started = performance.now();
  const { signal } = context;
  const { kernels } = services;
  const staging = path.join(services.dataDir, LOCAL_STAGING_DIR, randomBytes(8).toString('hex'));
  let newKernel: string | null = null;
  try {
    const checkpointed = await checkpointForMigration(services, request, staging, context);
    const checkpointMs = performance.now() - started;
    signal.throwIfAborted();

    const t1 = performance.now();
    context.step('starting a new kernel on this machine');
    newKernel = await kernels.startKernel(request.notebookPath, request.kernelName);
    const restored = await runRestoreJob(
      { kernels, measurements: services.measurements, baseDir: services.baseDir },
      { kernelId: newKernel, uri: staging, freshKernel: true },
      context
    );
    signal.throwIfAborted();
    if (!restored.verification.ok) {
      const differ = [...restored.verification.differ, ...restored.verification.missing];
      throw new MigrationError(
        `the new kernel's state differs from this one (${differ.join(', ') || 'see the steps'})`
      );
    }
    const restoreMs = performance.now() - t1;

    context.step(`switching ${request.notebookPath} to the new kernel`);
    const sessions = await kernels.moveSessions(request.kernelId, newKernel);
    if (sessions.length === 0) {
      throw new MigrationError(`no Jupyter session uses kernel ${request.kernelId}: open the notebook first`);
    }
    return {
      target: request.target.name,
      kernelId: newKernel,
      sessionId: sessions[0],
      notebookUrl: request.target.url ? notebookUrlOn(request.target.url, request.notebookPath) : '',
      notebookPath: request.notebookPath,
      checkpointId: checkpointed.checkpointId,
      plan: checkpointed.plan,
      bytes: checkpointed.bytes,
      verification: restored.verification,
      timings: { checkpointMs, transferMs: 0, restoreMs, totalMs: performance.now() - started },
      transport: 'local',
      sourceStopped: false
    };
  } catch (err) {
    if (newKernel !== null) {
      // The sessions were not moved (that is the last step): nothing uses the new kernel.
      const stopped = newKernel;
      await kernels
        .shutdown(stopped)
        .catch(e => context.step(`the new kernel ${stopped} could not be shut down: ${errorMessage(e)}`));
    }
    if (signal.aborted) {
      throw new MigrationError('migration to this machine cancelled; this session is untouched');
    }
    throw new MigrationError(`migration to this machine failed: ${errorMessage(err)} (this session is untouched)`);
  } finally {
    await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
  }
}
