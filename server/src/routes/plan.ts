/**
 * `POST /api/kernels/:kernelId/plan`: the replication plan of a kernel's current run, with its
 * explanation (docs/internals.md section 5). Marks live in the notebook, so the caller sends them
 * with every request; measured throughputs come from the request and, for what it leaves out, from
 * whatever the companion measured on real transfers (the `storedMeasurements` hook).
 */
import express, { Router } from 'express';
import { z } from 'zod';
import type { HistoryStore } from '../ahg/store';
import {
  fromGraph,
  historyKey,
  IFeasiblePlan,
  IPlanHistory,
  IRunDurations,
  Measurements,
  measurementsSchema,
  overrideMeasurements,
  plan,
  Plan,
  runDurations
} from '../planner/index';
import { HttpError, jsonBody, kernelIdOf, parse, route } from '../http';
import { planRequestSchema } from '../schemas';

/** A validated plan request. */
export type PlanRequest = z.output<typeof planRequestSchema>;

/**
 * Measured numbers the companion keeps for a kernel (for instance throughputs seen on real
 * checkpoint transfers), or undefined when it has none.
 */
export type StoredMeasurements = (kernelId: string) => Measurements | undefined | Promise<Measurements | undefined>;

/** Options of {@link planRouter}. */
export interface IPlanRouteOptions {
  /** Where stored measurements come from; the request's own measurements override them field by field. */
  storedMeasurements?: StoredMeasurements;
  /** Largest accepted request body (default 1mb: marks and measurements are small). */
  bodyLimit?: string;
  /** Where the decisions of the last plan of a history are kept, so that plans stay stable. */
  planMemory?: IPlanMemory;
}

/** Remembers per history (`historyKey`) the decisions of its last plan and its recent runs' cell times. */
export interface IPlanMemory {
  previous(key: string): Promise<IPlanHistory | undefined>;
  remember(key: string, plan: Pick<IFeasiblePlan, 'groups'>, run: IRunDurations): Promise<void>;
}

/** What the route answers: the planner's plan, plus which kernel run it is for. */
export type PlanResponse = Plan & { kernelId: string; runId: string; executions: number };

/**
 * The measurements a plan uses: the stored ones, overridden field by field by the request's.
 * A stored set that does not validate is ignored rather than failing every plan.
 */
export async function effectiveMeasurements(
  kernelId: string,
  requested: Measurements | undefined,
  stored: StoredMeasurements | undefined
): Promise<Measurements> {
  const kept = stored ? measurementsSchema.safeParse((await stored(kernelId)) ?? {}) : undefined;
  return overrideMeasurements(kept?.success ? kept.data : {}, requested ?? {});
}

/**
 * The plan route, to mount after the secret check: `app.use(planRouter(store, options))`. Errors go
 * to the error handler (http.ts).
 */
export function planRouter(store: HistoryStore, options: IPlanRouteOptions = {}): Router {
  return express.Router().post(
    '/api/kernels/:kernelId/plan',
    jsonBody(options.bodyLimit ?? '1mb'),
    route(async (req, res) => {
      const kernelId = kernelIdOf(req);
      // An empty body asks for the default plan.
      const { objective, marks, measurements } = parse(planRequestSchema, req.body ?? {});
      const run = await store.currentRun(kernelId);
      if (!run) {
        throw new HttpError(404, `nothing recorded for kernel ${kernelId}`);
      }
      // The same code run in the same order keeps its last plan unless the costs really changed.
      const key = historyKey(
        objective,
        run.graph.executions.map(e => e.code)
      );
      const input = fromGraph(run.graph, {
        objective,
        marks,
        measurements: await effectiveMeasurements(kernelId, measurements, options.storedMeasurements),
        previous: await options.planMemory?.previous(key),
        runId: run.runId
      });
      const result = plan(input);
      if (result.feasible) {
        await options.planMemory?.remember(key, result, runDurations(run.runId, run.graph.executions));
      }
      const body: PlanResponse = { kernelId, runId: run.runId, executions: run.graph.size, ...result };
      res.json(body);
    })
  );
}
