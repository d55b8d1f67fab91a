/**
 * Stopping the source kernel after a migration (`stopSource`, the CLI's `--stop-source`): only
 * once the target verified the restored session. A migration that failed never gets here (its
 * job throws first), one whose verification found differences keeps the source running, and a
 * shutdown that fails is said in a step: the migration itself succeeded.
 */
import type { IMigrateJobResult } from '@elastic-notebook/protocol';
import { errorMessage } from '../bundle/errors';
import type { IKernelAccess } from '../companion/kernelAccess';
import type { IJobContext } from '../jobs/job';

/** `result` with `sourceStopped`, after shutting the source kernel down when asked and verified. */
export async function stopSourceAfter(
  kernels: IKernelAccess,
  request: { kernelId: string; stopSource?: boolean },
  result: IMigrateJobResult,
  context: IJobContext
): Promise<IMigrateJobResult> {
  if (!request.stopSource) {
    return { ...result, sourceStopped: false };
  }
  if (!result.verification.ok) {
    context.step('the source kernel keeps running: the restored session differs from it');
    return { ...result, sourceStopped: false };
  }
  context.step('stopping the source kernel');
  try {
    await kernels.shutdown(request.kernelId);
  } catch (err) {
    context.step(`the source kernel could not be stopped: ${errorMessage(err)}`);
    return { ...result, sourceStopped: false };
  }
  return { ...result, sourceStopped: true };
}
