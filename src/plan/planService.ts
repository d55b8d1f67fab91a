import { requestAPI } from '../shared/api';
import type { PlanRequest, PlanResponse } from '@elastic-notebook/protocol';

/** What a plan is asked for: an objective and the notebook's marks (the companion's measurements are its own). */
export type IPlanRequest = Required<Pick<PlanRequest, 'objective' | 'marks'>>;

/** Fetches plans; the model takes one so that it can be given another in tests. */
export type PlanFetcher = (kernelId: string, request: IPlanRequest) => Promise<PlanResponse>;

/**
 * Ask the companion for the plan of a kernel's current run. Rejects with an `ApiError` (404 from
 * the extension when nothing was recorded in the kernel).
 */
export const fetchPlan: PlanFetcher = (kernelId, request) =>
  requestAPI<PlanResponse>(`kernels/${encodeURIComponent(kernelId)}/plan`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(request)
  });
