/**
 * `POST /api/kernels/:kernelId/records`: the kernel agent's records. It is the one route that does
 * not come through Jupyter: the agent presents its kernel's ingest token (auth.ts) instead of the
 * shared secret, so it is mounted before the secret check.
 */
import express, { Router } from 'express';
import type { HistoryStore } from '../ahg/store';
import { requireIngestToken } from '../auth';
import { HttpError, jsonBody, kernelIdOf, parse, route } from '../http';
import { recordBatchSchema } from '../schemas';

/** Options of {@link ingestRouter}. */
export interface IIngestOptions {
  /** The shared secret the ingest tokens derive from. */
  secret: string;
  /** Largest accepted batch. */
  bodyLimit: string;
}

/** The ingest route: answers `{nextSeq}`, or 409 `{error, nextSeq}` for a gap or another run's records. */
export function ingestRouter(store: HistoryStore, options: IIngestOptions): Router {
  return express.Router().post(
    '/api/kernels/:kernelId/records',
    // Reject unsafe kernel ids before anything else looks at them.
    (req, _res, next) => {
      kernelIdOf(req);
      next();
    },
    requireIngestToken(options.secret),
    jsonBody(options.bodyLimit),
    route(async (req, res) => {
      const kernelId = kernelIdOf(req);
      const batch = parse(recordBatchSchema, req.body);
      const result = await store.ingest(kernelId, batch.runId, batch.records);
      if (!result.ok) {
        throw new HttpError(409, result.error, { body: { nextSeq: result.nextSeq } });
      }
      res.json({ nextSeq: result.nextSeq });
    })
  );
}
