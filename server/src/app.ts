import express, { NextFunction, Request, Response } from 'express';
import { HistoryStore } from './ahg/store';
import { requireIngestToken, requireSecret } from './auth';
import { checkpointRoutes, ICheckpointRouteOptions } from './routes/checkpoints';
import { planRoutes } from './routes/plan';
import { HttpError } from './httpError';
import { describeIssues, idSchema, recordBatchSchema } from './schemas';

/** Options of the companion app. */
export interface IAppOptions {
  /** Shared with the Jupyter server extension. */
  secret: string;
  /** Folder for persisted state. */
  dataDir: string;
  /** Largest accepted request body. */
  bodyLimit?: string;
  /** Where warnings go (default: stderr). */
  warn?: (message: string) => void;
  /** Checkpoint, restore and job routes: kernel access, checkpoint root (routes/checkpoints.ts). */
  checkpoints?: Omit<ICheckpointRouteOptions, 'dataDir' | 'warn'>;
}

/** The package version, reported by `/api/health`. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- package.json lies outside rootDir
const VERSION: string = require('../package.json').version;

function kernelIdOf(req: Request): string {
  const parsed = idSchema.safeParse(req.params.kernelId);
  if (!parsed.success) {
    throw new HttpError(400, describeIssues(parsed.error, 'kernelId'));
  }
  return parsed.data;
}

/** Wrap an async route so that errors reach the error handler. */
const route =
  (handler: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) =>
    handler(req, res).catch(next);

/** Build the companion's express app (routes: docs/internals.md section 5). */
export function createApp(options: IAppOptions): { app: express.Express; store: HistoryStore } {
  const store = new HistoryStore(options.dataDir, options.warn);
  const app = express();
  app.disable('x-powered-by');
  const json = express.json({ limit: options.bodyLimit ?? '32mb', strict: true, type: () => true });

  app.post(
    '/api/kernels/:kernelId/records',
    // Reject unsafe kernel ids before anything else looks at them.
    (req, _res, next) => {
      kernelIdOf(req);
      next();
    },
    requireIngestToken(options.secret),
    json,
    route(async (req, res) => {
      const kernelId = kernelIdOf(req);
      const parsed = recordBatchSchema.safeParse(req.body);
      if (!parsed.success) {
        throw new HttpError(400, describeIssues(parsed.error));
      }
      const result = await store.ingest(kernelId, parsed.data.runId, parsed.data.records);
      if (result.ok) {
        res.json({ nextSeq: result.nextSeq });
      } else {
        res.status(409).json({ error: result.error, nextSeq: result.nextSeq });
      }
    })
  );

  app.use('/api', requireSecret(options.secret));

  app.get('/api/health', (_req, res) => {
    res.json({ ok: true, version: VERSION, pid: process.pid });
  });

  app.get(
    '/api/kernels',
    route(async (_req, res) => {
      res.json(await store.list());
    })
  );

  app.get(
    '/api/kernels/:kernelId/sync',
    route(async (req, res) => {
      const kernelId = kernelIdOf(req);
      const runId = idSchema.safeParse(req.query.runId);
      if (!runId.success) {
        throw new HttpError(400, describeIssues(runId.error, 'runId'));
      }
      res.json({ nextSeq: await store.nextSeq(kernelId, runId.data) });
    })
  );

  app.get(
    '/api/kernels/:kernelId/graph',
    route(async (req, res) => {
      const kernelId = kernelIdOf(req);
      const run = await store.currentRun(kernelId);
      if (!run) {
        throw new HttpError(404, `nothing recorded for kernel ${kernelId}`);
      }
      res.json(run.graph.toJSON(kernelId, run.runId));
    })
  );

  app.get(
    '/api/kernels/:kernelId/records',
    route(async (req, res) => {
      const kernelId = kernelIdOf(req);
      const run = await store.records(kernelId);
      if (!run) {
        throw new HttpError(404, `nothing recorded for kernel ${kernelId}`);
      }
      res.json({ kernelId, ...run });
    })
  );

  const checkpoints = checkpointRoutes(store, { ...options.checkpoints, dataDir: options.dataDir, warn: options.warn });
  app.use(
    planRoutes(store, { storedMeasurements: checkpoints.storedMeasurements, planMemory: checkpoints.planMemory })
  );
  app.use(checkpoints.router);

  app.use((req, _res, next) => next(new HttpError(404, `no route ${req.method} ${req.path}`)));

  // Express recognises an error handler by its four parameters.
  app.use((err: any, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof HttpError && err.expose) {
      res.status(err.status).json(err.body());
    } else if (err?.type === 'entity.too.large') {
      res.status(413).json({ error: `request body larger than ${options.bodyLimit ?? '32mb'}` });
    } else if (err?.type === 'entity.parse.failed') {
      res.status(400).json({ error: `malformed JSON: ${err.message}` });
    } else if (err?.expose && err.status >= 400 && err.status < 500) {
      // Other body-reading failures (unsupported charset or encoding, aborted upload).
      res.status(err.status).json({ error: err.message });
    } else {
      (options.warn ?? console.error)(`elastic-notebook: internal error: ${err?.stack ?? err}`);
      res.status(500).json({ error: `internal error: ${err?.message ?? String(err)}` });
    }
  });
  return { app, store };
}
