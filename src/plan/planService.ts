import { postAPI, unlessNothingRecorded } from '../shared/api';
import type { PlanRequest, PlanResponse } from '@elastic-notebook/protocol';

/** What a plan is asked for: an objective and the notebook's marks (the companion's measurements are its own). */
export type IPlanRequest = Required<Pick<PlanRequest, 'objective' | 'marks'>>;

/** The companion's plan route (server/src/routes/plan.ts), as the plan model uses it. */
export interface IPlanService {
  /**
   * The plan of a kernel's current run; null when nothing was recorded in it yet. Rejects with
   * an `ApiError` otherwise.
   */
  plan(kernelId: string, request: IPlanRequest): Promise<PlanResponse | null>;
}

/** The service over the Jupyter server's `elastic-notebook/api` routes. */
export const planService: IPlanService = {
  plan: (kernelId, request) =>
    unlessNothingRecorded(postAPI<PlanResponse>(`kernels/${encodeURIComponent(kernelId)}/plan`, request))
};
