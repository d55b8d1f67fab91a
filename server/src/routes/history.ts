/**
 * What the companion recorded, read back: the kernels it knows, where an agent resumes a run, a
 * kernel's history graph and its raw records (docs/internals.md section 5).
 *
 * | method, path | what |
 * | --- | --- |
 * | `GET /api/kernels` | every kernel with a recorded run |
 * | `GET /api/kernels/:kernelId/sync?runId=` | the next sequence number the store expects |
 * | `GET /api/kernels/:kernelId/graph` | the current run's history graph |
 * | `GET /api/kernels/:kernelId/records` | the current run's records |
 */
import express, { Router } from 'express';
import type { HistoryStore } from '../ahg/store';
import { HttpError, kernelIdOf, parse, route } from '../http';
import { idSchema } from '../schemas';

/** The history routes, to mount after the secret check. */
export function historyRouter(store: HistoryStore): Router {
  const router = express.Router();
  const nothingRecorded = (kernelId: string) => new HttpError(404, `nothing recorded for kernel ${kernelId}`);

  router.get(
    '/api/kernels',
    route(async (_req, res) => {
      res.json(await store.list());
    })
  );

  router.get(
    '/api/kernels/:kernelId/sync',
    route(async (req, res) => {
      const kernelId = kernelIdOf(req);
      const runId = parse(idSchema, req.query.runId, 'runId');
      res.json({ nextSeq: await store.nextSeq(kernelId, runId) });
    })
  );

  router.get(
    '/api/kernels/:kernelId/graph',
    route(async (req, res) => {
      const kernelId = kernelIdOf(req);
      const run = await store.currentRun(kernelId);
      if (!run) {
        throw nothingRecorded(kernelId);
      }
      res.json(run.graph.toJSON(kernelId, run.runId));
    })
  );

  router.get(
    '/api/kernels/:kernelId/records',
    route(async (req, res) => {
      const kernelId = kernelIdOf(req);
      const run = await store.records(kernelId);
      if (!run) {
        throw nothingRecorded(kernelId);
      }
      res.json({ kernelId, ...run });
    })
  );
  return router;
}
