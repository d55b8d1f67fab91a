import type { AddTargetRequest, Target, TargetList } from '@elastic-notebook/protocol';
import { postAPI, requestAPI } from '../shared/api';

/** The companion's target routes (server/src/routes/targets.ts), as the targets model uses them. */
export interface ITargetsService {
  /** Every target, probed; with a kernel, the modules its session imported are compared. */
  list(kernelId: string | null): Promise<Target[]>;
  /** Add a Jupyter server (its token stays on the server); resolves with it as listed. */
  add(request: AddTargetRequest): Promise<Target>;
  /** Remove a target added from the panel. */
  remove(name: string): Promise<void>;
}

/** The service over the Jupyter server's `elastic-notebook/api` routes. */
export const targetsService: ITargetsService = {
  list: async kernelId =>
    (await requestAPI<TargetList>(kernelId ? `targets?kernelId=${encodeURIComponent(kernelId)}` : 'targets')).targets,
  add: request => postAPI<Target>('targets', request),
  remove: async name => {
    await requestAPI<{ deleted: string }>(`targets/${encodeURIComponent(name)}`, { method: 'DELETE' });
  }
};
