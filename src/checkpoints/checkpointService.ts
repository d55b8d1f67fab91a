/**
 * Calls to the companion's checkpoint, restore, job and listing routes through the Jupyter
 * server (server/src/routes/checkpoints.ts). The models take an `ICheckpointService` so that tests
 * can give another one.
 */
import { postAPI as post, requestAPI } from '../shared/api';
import type {
  CheckpointRequest,
  MigrateRequestBody,
  ICheckpointList,
  ICheckpointSummary,
  IJob,
  IStartedJob
} from '@elastic-notebook/protocol';
import { IStorageSettings, s3Body, s3Query } from './storageSettings';

/**
 * What a checkpoint is asked for: the objective, the notebook's marks, its path relative to the
 * Jupyter root and its kernel's name; the service adds where it goes from the storage settings.
 */
export type ICheckpointRequest = Required<Pick<CheckpointRequest, 'objective' | 'marks' | 'notebookPath'>> &
  Pick<CheckpointRequest, 'kernelName'>;

/**
 * What a migration is asked for: the target's name (the companion holds its credentials), the
 * objective, the marks, the notebook's path relative to the Jupyter root and its kernel's name;
 * `overwrite` once the user confirmed replacing a different notebook on the target.
 */
export type IMigrateRequest = Required<Pick<MigrateRequestBody, 'target' | 'objective' | 'marks' | 'notebookPath'>> &
  Pick<MigrateRequestBody, 'kernelName' | 'overwrite' | 'stopSource'>;

/** The companion's checkpoint routes. */
export interface ICheckpointService {
  /** Start checkpointing a kernel into a new bundle under the configured root. */
  startCheckpoint(kernelId: string, request: ICheckpointRequest, storage: IStorageSettings): Promise<IStartedJob>;
  /**
   * Start restoring `uri` into a kernel (the kernel restarts). Rejects with a 400 `ApiError`
   * whose body has `trustRequired` when the bundle is outside the checkpoint root and `trust` is not set.
   */
  startRestore(kernelId: string, uri: string, trust: boolean, storage: IStorageSettings): Promise<IStartedJob>;
  /** Start migrating a kernel's session to a target (the kernel keeps running). */
  startMigration(kernelId: string, request: IMigrateRequest): Promise<IStartedJob>;
  job(jobId: string): Promise<IJob>;
  /** A kernel's jobs, newest first. */
  jobs(kernelId: string): Promise<IJob[]>;
  cancel(jobId: string): Promise<IJob>;
  list(storage: IStorageSettings): Promise<ICheckpointList>;
  /** One checkpoint, wherever it is (its manifest only: nothing is loaded). */
  describe(uri: string, storage: IStorageSettings): Promise<ICheckpointSummary>;
  remove(uri: string, storage: IStorageSettings): Promise<void>;
}

const query = (fields: Record<string, string>) => {
  const text = new URLSearchParams(fields).toString();
  return text ? `?${text}` : '';
};

/** The service over the Jupyter server's `elastic-notebook/api` routes. */
export const checkpointService: ICheckpointService = {
  startCheckpoint: (kernelId, request, storage) =>
    post<IStartedJob>(`kernels/${encodeURIComponent(kernelId)}/checkpoints`, {
      ...request,
      ...(storage.checkpointRoot ? { root: storage.checkpointRoot } : {}),
      ...(s3Body(storage) ? { s3: s3Body(storage) } : {})
    }),
  startRestore: (kernelId, uri, trust, storage) =>
    post<IStartedJob>(`kernels/${encodeURIComponent(kernelId)}/restore`, {
      uri,
      ...(trust ? { trust: true } : {}),
      ...(s3Body(storage) ? { s3: s3Body(storage) } : {})
    }),
  startMigration: (kernelId, request) => post<IStartedJob>(`kernels/${encodeURIComponent(kernelId)}/migrate`, request),
  job: jobId => requestAPI<IJob>(`jobs/${encodeURIComponent(jobId)}`),
  jobs: kernelId => requestAPI<{ jobs: IJob[] }>(`jobs${query({ kernelId })}`).then(answer => answer.jobs),
  cancel: jobId => post<IJob>(`jobs/${encodeURIComponent(jobId)}/cancel`, {}),
  list: storage =>
    requestAPI<ICheckpointList>(
      `checkpoints${query({ ...(storage.checkpointRoot ? { root: storage.checkpointRoot } : {}), ...s3Query(storage) })}`
    ),
  describe: (uri, storage) =>
    requestAPI<ICheckpointSummary>(`checkpoints/describe${query({ uri, ...s3Query(storage) })}`),
  remove: async (uri, storage) => {
    await requestAPI(`checkpoints${query({ uri, ...s3Query(storage) })}`, { method: 'DELETE' });
  }
};
