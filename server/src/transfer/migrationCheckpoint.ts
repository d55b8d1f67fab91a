/**
 * The checkpoint every kind of migration starts with: the migrating kernel's session into a
 * bundle (a staging folder, or the store both sides share), the notebook named in the manifest
 * as it is on this server.
 */
import path from 'path';
import { ICheckpointJobRequest, ICheckpointJobResult, runCheckpointJob } from '../jobs/checkpointJob';
import type { IJobContext } from '../jobs/job';
import type { IMigrateJobRequest, IMigrateJobServices } from '../jobs/migrateJob';

/**
 * Checkpoint `request.kernelId`'s session into `uri`. `extra.onPayloadWritten` hears of each
 * payload file as soon as it is written (a pipelined migration sends it at once);
 * `extra.pricing` prices the plan for the target (its bandwidth and CPU speed).
 */
export function checkpointForMigration(
  services: IMigrateJobServices,
  request: IMigrateJobRequest,
  uri: string,
  context: IJobContext,
  extra: Pick<ICheckpointJobRequest, 'onPayloadWritten' | 'pricing'> = {}
): Promise<ICheckpointJobResult> {
  return runCheckpointJob(
    services,
    {
      kernelId: request.kernelId,
      uri,
      objective: request.objective,
      marks: request.marks,
      notebookPath: path.resolve(services.baseDir, ...request.notebookPath.split('/')),
      kernelName: request.kernelName,
      ...extra
    },
    context
  );
}
