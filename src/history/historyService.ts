import { requestAPI, unlessNothingRecorded } from '../shared/api';
import type { IHistoryGraph } from '@elastic-notebook/protocol';

/** The companion's history routes (server/src/routes/history.ts), as the history model uses them. */
export interface IHistoryService {
  /**
   * The history graph of a kernel's current run; null when nothing was recorded in it yet.
   * Rejects with an `ApiError` otherwise.
   */
  graph(kernelId: string): Promise<IHistoryGraph | null>;
}

/** The service over the Jupyter server's `elastic-notebook/api` routes. */
export const historyService: IHistoryService = {
  graph: kernelId => unlessNothingRecorded(requestAPI<IHistoryGraph>(`kernels/${encodeURIComponent(kernelId)}/graph`))
};
