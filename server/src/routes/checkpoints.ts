/**
 * Checkpoint and restore from JupyterLab (docs/internals.md section 5). Long operations run as
 * companion jobs, so closing the browser tab never aborts one; the UI starts a job, gets `202
 * {jobId}` and polls the job.
 *
 * | method, path | what |
 * | --- | --- |
 * | `POST /api/kernels/:kernelId/checkpoints` | start checkpointing the kernel's session |
 * | `POST /api/kernels/:kernelId/restore` | start restoring a bundle into the kernel (restarted first) |
 * | `GET /api/jobs[?kernelId=]` | jobs, newest first |
 * | `GET /api/jobs/:jobId` | one job: state, steps, progress, result or error |
 * | `POST /api/jobs/:jobId/cancel` | ask a job to stop |
 * | `GET /api/checkpoints[?root=]` | the checkpoints under a root (default: the configured one) |
 * | `GET /api/checkpoints/describe?uri=` | one checkpoint in detail |
 * | `DELETE /api/checkpoints?uri=` | delete a checkpoint |
 *
 * S3 settings that are not secrets (`endpoint`, `region`) may come with a request (`s3` in bodies,
 * `s3Endpoint`/`s3Region` in queries); credentials stay in the server's environment.
 */
import express, { NextFunction, Request, Response, Router } from 'express';
import { z } from 'zod';
import type { HistoryStore } from '../ahg/store';
import { BundleErrorCode, isBundleError } from '../bundle/errors';
import { CheckpointLocations } from '../companion/checkpointLocations';
import { IKernelAccess } from '../companion/kernelAccess';
import { CompanionMeasurements } from '../companion/measurements';
import { runCheckpointJob } from '../jobs/checkpointJob';
import { JobRegistry, KernelBusyError } from '../jobs/jobRegistry';
import { runRestoreJob } from '../jobs/restoreJob';
import { MigrationError } from '../migrate/migrationError';
import { MarksError, PlannerInputError } from '../planner/index';
import {
  checkpointRequestSchema,
  describeIssues,
  idSchema,
  listQuerySchema,
  restoreRequestSchema,
  uriQuerySchema
} from '../schemas';
import { HttpError as RequestError } from '../httpError';
import { describeCheckpoint, IS3Options, listCheckpoints, openStore } from '../storage/index';
import type { IPlanMemory, StoredMeasurements } from './plan';

/** Options of {@link checkpointRoutes}. */
export interface ICheckpointRouteOptions {
  /** The companion's data folder (default checkpoint root `<dataDir>/checkpoints`, measurements). */
  dataDir: string;
  /** How to reach kernels; without it the kernel routes answer 503 with `kernelsUnavailable`. */
  kernels?: IKernelAccess | null;
  /** Why kernels cannot be reached, for the 503 answers. */
  kernelsUnavailable?: string;
  /** The configured default checkpoint root (empty: `<dataDir>/checkpoints`). */
  checkpointRoot?: string;
  /** Folder relative paths are resolved against (the Jupyter server's root); default the working directory. */
  baseDir?: string;
  /** How long a checkpoint waits for the agent's last records (default 60 s). */
  ackTimeoutMs?: number;
  /** The job registry (default: a new one). */
  jobs?: JobRegistry;
  /** Where unexpected job errors are logged. */
  warn?: (message: string) => void;
}

/** The router and what the rest of the app shares with it. */
export interface ICheckpointRoutes {
  router: Router;
  jobs: JobRegistry;
  locations: CheckpointLocations;
  /** Measured throughputs for plans (the plan route's hook), for the default root's store. */
  storedMeasurements: StoredMeasurements;
  /** The decisions of recent plans, shared by the plan route and checkpoints (plan stability). */
  planMemory: IPlanMemory;
}

export { checkpointRequestSchema, restoreRequestSchema } from '../schemas';

/** HTTP status of a bundle-layer failure. */
function statusOf(code: BundleErrorCode): number {
  switch (code) {
    case 'invalid-uri':
    case 'invalid':
      return 400;
    case 'not-found':
      return 404;
    case 'corrupt':
    case 'newer-format':
      return 422;
    case 'cancelled':
      return 409;
    default:
      return 502;
  }
}

/** Validate `value` with `schema`, or a 400 naming the bad field. */
function parse<T extends z.ZodType>(schema: T, value: unknown, prefix = ''): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new RequestError(400, describeIssues(parsed.error, prefix));
  }
  return parsed.data;
}

/** S3 options from validated request fields. */
function s3Options(s3: { endpoint?: string; region?: string } | undefined): IS3Options | undefined {
  if (!s3 || (s3.endpoint === undefined && s3.region === undefined)) {
    return undefined;
  }
  return { ...(s3.endpoint ? { endpoint: s3.endpoint } : {}), ...(s3.region ? { region: s3.region } : {}) };
}

/** Errors whose message a failed job shows as it is. */
function isExpected(err: unknown): boolean {
  return (
    err instanceof MigrationError || isBundleError(err) || err instanceof MarksError || err instanceof PlannerInputError
  );
}

/**
 * The checkpoint, restore, job and listing routes, to mount after the secret check:
 * `app.use(checkpointRoutes(store, options).router)`.
 */
export function checkpointRoutes(history: HistoryStore, options: ICheckpointRouteOptions): ICheckpointRoutes {
  const router = express.Router();
  const json = express.json({ limit: '1mb', strict: true, type: () => true });
  const baseDir = options.baseDir ?? process.cwd();
  const locations = new CheckpointLocations(options.checkpointRoot ?? '', options.dataDir, baseDir);
  const measurements = new CompanionMeasurements(options.dataDir);
  const warn = options.warn ?? ((message: string) => process.stderr.write(`${message}\n`));
  const jobs = options.jobs ?? new JobRegistry({ warn, isExpected });

  /** Wrap an async handler; bundle errors become their HTTP status. */
  const route =
    (handler: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) =>
      handler(req, res).catch(err =>
        next(isBundleError(err) ? new RequestError(statusOf(err.code), err.message) : err)
      );

  /**
   * The kernel id and body of a kernel route, validated (400), with the kernel access; null after
   * answering 503 when kernels cannot be reached (the app's error handler exposes 4xx only).
   */
  const kernelRequest = <T extends z.ZodType>(
    req: Request,
    res: Response,
    schema: T
  ): { kernelId: string; body: z.output<T>; kernels: IKernelAccess } | null => {
    const kernelId = parse(idSchema, req.params.kernelId, 'kernelId');
    const body = parse(schema, req.body ?? {});
    if (!options.kernels) {
      res
        .status(503)
        .json({ error: options.kernelsUnavailable ?? "the companion cannot reach the Jupyter server's kernels" });
      return null;
    }
    return { kernelId, body, kernels: options.kernels };
  };

  /** Start a job, or answer 409 when the kernel (or the bundle) is busy. */
  const startJob = (res: Response, start: () => ReturnType<JobRegistry['start']>): void => {
    try {
      const job = start();
      res.status(202).json({ jobId: job.id, uri: job.uri });
    } catch (err) {
      if (err instanceof KernelBusyError) {
        res.status(409).json({ error: err.message, jobId: err.job.id });
        return;
      }
      throw err;
    }
  };

  const bundleBusy = (res: Response, uri: string): boolean => {
    const busy = jobs.usingBundle(uri);
    if (busy) {
      res.status(409).json({
        error: `a ${busy.kind} of kernel ${busy.kernelId} is using ${uri}; wait for it or cancel it`,
        jobId: busy.id
      });
    }
    return Boolean(busy);
  };

  router.post(
    '/api/kernels/:kernelId/checkpoints',
    json,
    route(async (req, res) => {
      const valid = kernelRequest(req, res, checkpointRequestSchema);
      if (!valid) {
        return;
      }
      // Whether anything was recorded is the agent's to say: its last records may still be on
      // their way here, and the job waits for them.
      const { kernelId, body, kernels } = valid;
      const uri = body.uri
        ? locations.bundle(body.uri)
        : locations.newBundle(locations.root(body.root), body.notebookPath);
      if (bundleBusy(res, uri)) {
        return;
      }
      const services = { history, kernels, measurements, baseDir, ackTimeoutMs: options.ackTimeoutMs };
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
        jobs.start('checkpoint', kernelId, uri, context => runCheckpointJob(services, request, context))
      );
    })
  );

  router.post(
    '/api/kernels/:kernelId/restore',
    json,
    route(async (req, res) => {
      const valid = kernelRequest(req, res, restoreRequestSchema);
      if (!valid) {
        return;
      }
      const { kernelId, body, kernels } = valid;
      const uri = locations.bundle(body.uri);
      if (locations.needsTrust(uri) && body.trust !== true) {
        res.status(400).json({
          error:
            `${uri} is outside the checkpoint root ${locations.defaultRoot}; bundles contain pickles, which run code when ` +
            'loaded: restore it only if you or someone you trust wrote it, and confirm with "trust": true',
          trustRequired: true
        });
        return;
      }
      if (bundleBusy(res, uri)) {
        return;
      }
      const services = { kernels, measurements, baseDir };
      const request = { kernelId, uri, s3: s3Options(body.s3) };
      startJob(res, () => jobs.start('restore', kernelId, uri, context => runRestoreJob(services, request, context)));
    })
  );

  router.get(
    '/api/jobs',
    route(async (req, res) => {
      const kernelId = req.query.kernelId === undefined ? undefined : parse(idSchema, req.query.kernelId, 'kernelId');
      res.json({ jobs: jobs.list(kernelId).map(job => job.toJSON()) });
    })
  );

  const jobOr404 = (req: Request) => {
    const id = parse(idSchema, req.params.jobId, 'jobId');
    const job = jobs.get(id);
    if (!job) {
      throw new RequestError(
        404,
        `no job ${id} (finished jobs are forgotten after an hour, and when the companion restarts)`
      );
    }
    return job;
  };

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
        res.status(409).json({ error: `the ${job.kind} has already ended (${job.state})`, job: job.toJSON() });
        return;
      }
      res.json(job.toJSON());
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
      if (bundleBusy(res, uri)) {
        return;
      }
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

  const storedMeasurements: StoredMeasurements = () => measurements.forUri(locations.defaultRoot);
  const planMemory: IPlanMemory = {
    previous: key => measurements.previous(key),
    remember: (key, plan, run) => measurements.remember(key, plan, run)
  };
  return { router, jobs, locations, storedMeasurements, planMemory };
}
