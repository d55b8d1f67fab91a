/**
 * Checkpoints (docs/internals.md section 5): taking one, as a job the UI follows, so closing the
 * browser tab never aborts it (`202 {jobId}`, then `GET /api/jobs/:jobId`); listing, describing
 * and deleting the ones under a root.
 *
 * | method, path | what |
 * | --- | --- |
 * | `POST /api/kernels/:kernelId/checkpoints` | start checkpointing the kernel's session |
 * | `GET /api/checkpoints[?root=]` | the checkpoints under a root (default: the configured one) |
 * | `GET /api/checkpoints/describe?uri=` | one checkpoint in detail |
 * | `DELETE /api/checkpoints?uri=` | delete a checkpoint |
 *
 * S3 settings that are not secrets (`endpoint`, `region`) may come with a request (`s3` in bodies,
 * `s3Endpoint`/`s3Region` in queries); credentials stay in the server's environment.
 */
import express, { Router } from 'express';
import type { HistoryStore } from '../ahg/store';
import { isBundleError } from '../bundle/errors';
import type { CheckpointLocations } from '../companion/checkpointLocations';
import type { CompanionMeasurements } from '../companion/measurements';
import { jsonBody, kernelIdOf, parse, route } from '../http';
import { runCheckpointJob } from '../jobs/checkpointJob';
import type { JobRegistry } from '../jobs/jobRegistry';
import { checkpointRequestSchema, listQuerySchema, uriQuerySchema } from '../schemas';
import { describeCheckpoint, listCheckpoints, openStore } from '../storage/index';
import { IKernelReach, kernelsOf, refuseIfBundleBusy, s3Options, startJob } from './jobRequests';

/** What the checkpoint routes need. */
export interface ICheckpointRouterServices {
  history: HistoryStore;
  jobs: JobRegistry;
  locations: CheckpointLocations;
  kernels: IKernelReach;
  measurements: CompanionMeasurements;
  /** Folder relative paths are resolved against (the Jupyter server's root). */
  baseDir: string;
  /** How long a checkpoint waits for the agent's last records (default 60 s). */
  ackTimeoutMs?: number;
}

/** The checkpoint routes, to mount after the secret check. */
export function checkpointsRouter(services: ICheckpointRouterServices): Router {
  const { history, jobs, locations, measurements, baseDir } = services;
  const router = express.Router();

  router.post(
    '/api/kernels/:kernelId/checkpoints',
    jsonBody('1mb'),
    route(async (req, res) => {
      const kernelId = kernelIdOf(req);
      const body = parse(checkpointRequestSchema, req.body ?? {});
      // Whether anything was recorded is the agent's to say: its last records may still be on
      // their way here, and the job waits for them.
      const kernels = kernelsOf(services.kernels);
      const uri = body.uri
        ? locations.bundle(body.uri)
        : locations.newBundle(locations.root(body.root), body.notebookPath);
      refuseIfBundleBusy(jobs, uri);
      const jobServices = { history, kernels, measurements, baseDir, ackTimeoutMs: services.ackTimeoutMs };
      const request = {
        kernelId,
        uri,
        objective: body.objective,
        marks: body.marks,
        notebookPath: locations.notebookPath(body.notebookPath),
        kernelName: body.kernelName ?? null,
        s3: s3Options(body.s3)
      };
      startJob(res, () =>
        jobs.start('checkpoint', kernelId, uri, context => runCheckpointJob(jobServices, request, context))
      );
    })
  );

  router.get(
    '/api/checkpoints',
    route(async (req, res) => {
      const query = parse(listQuerySchema, req.query);
      const root = locations.root(query.root);
      const s3 = s3Options({ endpoint: query.s3Endpoint, region: query.s3Region });
      try {
        res.json({ root, checkpoints: await listCheckpoints(root, { cwd: baseDir, s3 }) });
      } catch (err) {
        // The default root appears with the first checkpoint: until then it is simply empty.
        if (isBundleError(err, 'not-found') && root === locations.defaultRoot) {
          res.json({ root, checkpoints: [] });
          return;
        }
        throw err;
      }
    })
  );

  router.get(
    '/api/checkpoints/describe',
    route(async (req, res) => {
      const query = parse(uriQuerySchema, req.query);
      const s3 = s3Options({ endpoint: query.s3Endpoint, region: query.s3Region });
      res.json(await describeCheckpoint(locations.bundle(query.uri), { cwd: baseDir, s3 }));
    })
  );

  router.delete(
    '/api/checkpoints',
    route(async (req, res) => {
      const query = parse(uriQuerySchema, req.query);
      const uri = locations.bundle(query.uri);
      refuseIfBundleBusy(jobs, uri);
      const store = openStore(uri, {
        cwd: baseDir,
        s3: s3Options({ endpoint: query.s3Endpoint, region: query.s3Region })
      });
      try {
        await store.delete();
      } finally {
        await store.close();
      }
      res.json({ deleted: uri });
    })
  );
  return router;
}
