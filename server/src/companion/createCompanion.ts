/**
 * The companion's composition root: the stores, registries and clients are built here once and
 * handed to the routers that need them (docs/internals.md section 2). `main.ts` runs it with the
 * settings of the environment; tests run it with fakes for the kernels.
 */
import express from 'express';
import fs from 'fs';
import path from 'path';
import { HistoryStore } from '../ahg/store';
import { requireSecret } from '../auth';
import { isBundleError } from '../bundle/errors';
import { errorHandler, notFound } from '../http';
import { JobRegistry } from '../jobs/jobRegistry';
import { MigrationError } from '../migrate/migrationError';
import { MarksError, PlannerInputError } from '../planner/index';
import { checkpointsRouter } from '../routes/checkpoints';
import { healthRouter } from '../routes/health';
import { historyRouter } from '../routes/history';
import { ingestRouter } from '../routes/ingest';
import type { IKernelReach } from '../routes/jobRequests';
import { jobsRouter } from '../routes/jobs';
import { IPlanMemory, planRouter, StoredMeasurements } from '../routes/plan';
import { machineRouter } from '../routes/machine';
import { restoreRouter } from '../routes/restore';
import { targetsRouter } from '../routes/targets';
import { recordBandwidth } from '../targets/bandwidthLog';
import { MachineInfoCollector, PythonInfoSource } from '../targets/machineInfo';
import { TargetLister } from '../targets/targetLister';
import { IResolvedTarget, TargetRegistry } from '../targets/targetRegistry';
import { incomingRouter } from '../routes/incoming';
import { OUTGOING_DIR } from '../jobs/migrateJob';
import { migrateRouter } from '../routes/migrate';
import { IncomingTransfers } from '../transfer/incomingTransfers';
import { sharedRestoreRouter } from '../routes/sharedRestore';
import { storeIdentity } from '../transfer/sharedStore';
import { registryResolver, TargetResolver } from '../transfer/targets';
import { CheckpointLocations } from './checkpointLocations';
import type { IKernelAccess } from './kernelAccess';
import { CompanionMeasurements } from './measurements';

/** What the companion is built from. */
export interface ICompanionOptions {
  /** Shared with the Jupyter server extension. */
  secret: string;
  /** Folder for persisted state (history, measurements, the default checkpoint root). */
  dataDir: string;
  /** Largest accepted record batch (default 32mb). */
  bodyLimit?: string;
  /** Where warnings go (default: stderr). */
  warn?: (message: string) => void;
  /** How to reach kernels; without it the checkpoint and restore routes answer 503 with `kernelsUnavailable`. */
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
  /** Asks the Jupyter server's Python for its version and modules (`GET /api/machine`); none: unknown. */
  pythonInfo?: PythonInfoSource | null;
  /** This Jupyter server's URL, the built-in target's. */
  jupyterUrl?: string;
  /** How long probing one target may take (default 5 s). */
  probeTimeoutMs?: number;
  /** Resolves a migration target's name (default: the target registry's Jupyter server targets). */
  resolveTarget?: TargetResolver;
  /** Bytes per chunk a migration sends (default and at most 8 MiB). */
  chunkBytes?: number;
  /** Test hook: cut the connection of the N-th incoming chunk after storing it (`ELASTIC_NOTEBOOK_TEST_CUT_CHUNK`). */
  cutChunk?: number;
  /** How long a session prepared for a migration waits for its restore, ms (default 10 minutes). */
  preparedTimeoutMs?: number;
}

/** The built companion: its express app and the services behind it. */
export interface ICompanion {
  app: express.Express;
  store: HistoryStore;
  jobs: JobRegistry;
  locations: CheckpointLocations;
  measurements: CompanionMeasurements;
  /** The targets (configured, from `targets.json`, added from the panel). */
  targets: TargetRegistry;
  /** A target by name, with its token (for a migration; never for an answer). */
  resolveTarget: (name: string) => Promise<IResolvedTarget>;
  /** Remember a real transfer of `bytes` to target `name` in `ms` (the listing's measured bandwidth). */
  recordBandwidth: (name: string, bytes: number, ms: number) => Promise<void>;
}

/** Errors whose message a failed job shows as it is (anything else is logged as unexpected). */
function isExpected(err: unknown): boolean {
  return (
    err instanceof MigrationError || isBundleError(err) || err instanceof MarksError || err instanceof PlannerInputError
  );
}

/** Build the companion (routes: docs/internals.md section 5). */
export function createCompanion(options: ICompanionOptions): ICompanion {
  const warn = options.warn ?? ((message: string) => process.stderr.write(`${message}\n`));
  const bodyLimit = options.bodyLimit ?? '32mb';
  const baseDir = options.baseDir ?? process.cwd();
  const store = new HistoryStore(options.dataDir, options.warn);
  const jobs = options.jobs ?? new JobRegistry({ warn, isExpected });
  const locations = new CheckpointLocations(options.checkpointRoot ?? '', options.dataDir, baseDir);
  const measurements = new CompanionMeasurements(options.dataDir);
  const kernels: IKernelReach = {
    access: options.kernels ?? null,
    unavailable: options.kernelsUnavailable ?? "the companion cannot reach the Jupyter server's kernels"
  };
  // Plans are priced with what this machine measured against the default root's store, and
  // remember their decisions so that the next plan (and the checkpoint) stays stable.
  const storedMeasurements: StoredMeasurements = () => measurements.forUri(locations.defaultRoot);
  const targets = new TargetRegistry({ dataDir: options.dataDir, localUrl: options.jupyterUrl, warn });
  const machine = new MachineInfoCollector({
    dataDir: options.dataDir,
    python: options.pythonInfo,
    warn,
    checkpointStore: storeIdentity(locations.defaultRoot)
  });
  const lister = new TargetLister({
    registry: targets,
    machine,
    dataDir: options.dataDir,
    timeoutMs: options.probeTimeoutMs
  });
  const planMemory: IPlanMemory = {
    previous: key => measurements.previous(key),
    remember: (key, plan, run) => measurements.remember(key, plan, run)
  };

  // Migration staging bundles belong to jobs, and jobs end with the process that ran them: what a
  // crashed companion left behind is removed.
  fs.rmSync(path.join(options.dataDir, OUTGOING_DIR), { recursive: true, force: true });

  const app = express();
  app.disable('x-powered-by');
  app.use(ingestRouter(store, { secret: options.secret, bodyLimit }));
  app.use('/api', requireSecret(options.secret));
  app.use(healthRouter());
  app.use(historyRouter(store));
  app.use(planRouter(store, { storedMeasurements, planMemory }));
  app.use(
    checkpointsRouter({
      history: store,
      jobs,
      locations,
      kernels,
      measurements,
      baseDir,
      ackTimeoutMs: options.ackTimeoutMs
    })
  );
  app.use(restoreRouter({ jobs, locations, kernels, measurements, baseDir }));
  app.use(
    migrateRouter({
      history: store,
      jobs,
      kernels,
      measurements,
      resolveTarget: options.resolveTarget ?? registryResolver(name => targets.resolve(name)),
      dataDir: options.dataDir,
      baseDir,
      ackTimeoutMs: options.ackTimeoutMs,
      chunkBytes: options.chunkBytes,
      checkpointRoot: locations.defaultRoot,
      machine
    })
  );
  app.use(
    incomingRouter({
      transfers: new IncomingTransfers(options.dataDir),
      jobs,
      kernels,
      measurements,
      baseDir,
      warn,
      cutChunk: options.cutChunk,
      preparedTimeoutMs: options.preparedTimeoutMs
    })
  );
  app.use(sharedRestoreRouter({ jobs, kernels, measurements, baseDir, warn, checkpointRoot: locations.defaultRoot }));
  app.use(jobsRouter(jobs));
  app.use(machineRouter(machine, baseDir));
  app.use(targetsRouter({ registry: targets, lister, history: store, timeoutMs: options.probeTimeoutMs }));
  app.use(notFound);
  app.use(errorHandler({ bodyLimit, warn }));
  return {
    app,
    store,
    jobs,
    locations,
    measurements,
    targets,
    resolveTarget: name => targets.resolve(name),
    recordBandwidth: (name, bytes, ms) => recordBandwidth(options.dataDir, name, bytes, ms)
  };
}
