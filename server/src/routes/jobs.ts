/**
 * The companion's jobs (checkpoints and restores in progress or recently ended):
 *
 * | method, path | what |
 * | --- | --- |
 * | `GET /api/jobs[?kernelId=]` | jobs, newest first |
 * | `GET /api/jobs/:jobId` | one job: state, steps, progress, result or error |
 * | `POST /api/jobs/:jobId/cancel` | ask a job to stop |
 */
import express, { Request, Router } from 'express';
import { HttpError, parse, route } from '../http';
import type { JobRegistry } from '../jobs/jobRegistry';
import { idSchema } from '../schemas';

/** The job routes, to mount after the secret check. */
export function jobsRouter(jobs: JobRegistry): Router {
  const router = express.Router();

  const jobOr404 = (req: Request) => {
    const id = parse(idSchema, req.params.jobId, 'jobId');
    const job = jobs.get(id);
    if (!job) {
      throw new HttpError(
        404,
        `no job ${id} (finished jobs are forgotten after an hour, and when the companion restarts)`
      );
    }
    return job;
  };

  router.get(
    '/api/jobs',
    route(async (req, res) => {
      const kernelId = req.query.kernelId === undefined ? undefined : parse(idSchema, req.query.kernelId, 'kernelId');
      res.json({ jobs: jobs.list(kernelId).map(job => job.toJSON()) });
    })
  );

  router.get(
    '/api/jobs/:jobId',
    route(async (req, res) => {
      res.json(jobOr404(req).toJSON());
    })
  );

  router.post(
    '/api/jobs/:jobId/cancel',
    route(async (req, res) => {
      const job = jobOr404(req);
      if (!job.cancel()) {
        throw new HttpError(409, `the ${job.kind} has already ended (${job.state})`, { body: { job: job.toJSON() } });
      }
      res.json(job.toJSON());
    })
  );
  return router;
}
