/**
 * The checkpoint job: checkpoint a live kernel's session from the companion (no browser needed).
 * It waits until every execution the agent recorded is stored, reads the run's records from the
 * companion's own store, runs the orchestrator (`checkpoint()` in server/src/migrate) through the
 * kernel channel, and remembers the throughputs it saw.
 */
import { promises as fs } from 'fs';
import type { HistoryStore } from '../ahg/store';
import {
  checkpoint,
  ICheckpointOutcome,
  ICheckpointSummary,
  IStagedPayload,
  summarizeCheckpoint
} from '../migrate/checkpoint';
import { checkpointObservations } from '../migrate/measurementLog';
import { MigrationError } from '../migrate/migrationError';
import { historyKey, Measurements, Objective, overrideMeasurements, runDurations } from '../planner/index';
import { IS3Options, openStore } from '../storage/index';
import { waitUntilStored } from '../companion/agentStatus';
import { IKernelAccess } from '../companion/kernelAccess';
import { CompanionMeasurements } from '../companion/measurements';
import { IJobContext } from './job';

/** What the checkpoint job needs from the companion. */
export interface ICheckpointJobServices {
  history: HistoryStore;
  kernels: IKernelAccess;
  measurements: CompanionMeasurements;
  /** Folder relative bundle paths are resolved against. */
  baseDir: string;
  /** How long to wait for the agent's last records (default 60 s). */
  ackTimeoutMs?: number;
}

/** One checkpoint to make. */
export interface ICheckpointJobRequest {
  kernelId: string;
  /** The bundle to write (canonical URI). */
  uri: string;
  objective: Objective;
  marks?: unknown;
  /** Absolute path of the notebook, when known. */
  notebookPath: string | null;
  kernelName: string | null;
  s3?: IS3Options;
  /** Told of each payload file as soon as the agent has written it (a pipelined migration sends it then). */
  onPayloadWritten?: (payload: IStagedPayload) => void;
  /** What a migration prices for its target (bandwidth, CPU speed), over the measured numbers. */
  pricing?: Measurements;
}

/** The job's result: the CLI's `checkpoint --json` fields, for the kernel instead of a notebook run. */
export interface ICheckpointJobResult extends ICheckpointSummary {
  kernelId: string;
  notebook: string | null;
}

/** Whether a local folder exists (false for anything that is not a local path). */
async function exists(folder: string): Promise<boolean> {
  return fs.stat(folder).then(
    () => true,
    () => false
  );
}

/**
 * Remove the bundle folder a failed checkpoint created, unless a manifest made it a bundle after
 * all. A checkpoint into a folder that existed before is left to the store's own garbage
 * collection (it keeps the previous bundle intact).
 */
async function removeFailedFolder(folder: string): Promise<void> {
  if (!(await exists(`${folder}/manifest.json`))) {
    await fs.rm(folder, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Run a checkpoint of `request.kernelId`'s session into `request.uri`. */
export async function runCheckpointJob(
  services: ICheckpointJobServices,
  request: ICheckpointJobRequest,
  context: IJobContext
): Promise<ICheckpointJobResult> {
  const { kernelId } = request;
  const channel = services.kernels.channel(kernelId);
  context.step('waiting until every recorded execution is stored');
  const run = await waitUntilStored(channel, services.history, kernelId, {
    timeoutMs: services.ackTimeoutMs,
    signal: context.signal,
    onWaiting: (stored, recorded) => context.step(`waiting for the last records (${stored} of ${recorded} stored)`)
  });
  const stored = await services.history.records(kernelId);
  if (!stored || stored.runId !== run.runId) {
    throw new MigrationError(
      'the kernel was restarted while the checkpoint started: run your cells again, then checkpoint'
    );
  }

  const store = openStore(request.uri, { cwd: services.baseDir, s3: request.s3 });
  const localFolder = store.location.kind === 'local' ? store.location.path : null;
  const createdHere = localFolder !== null && !(await exists(localFolder));
  let outcome: ICheckpointOutcome;
  // The same code run in the same order keeps its last plan unless the costs really changed.
  const key = historyKey(
    request.objective,
    stored.records.map(r => r.code)
  );
  try {
    outcome = await checkpoint({
      channel,
      records: stored.records,
      kernelId,
      runId: stored.runId,
      store,
      objective: request.objective,
      marks: request.marks,
      measurements: overrideMeasurements(
        await services.measurements.forUri(store.uri, request.s3?.endpoint),
        request.pricing ?? {}
      ),
      previous: await services.measurements.previous(key),
      notebook: { path: request.notebookPath, kernelName: request.kernelName },
      onStep: message => context.step(message),
      onPayloadWritten: request.onPayloadWritten,
      onProgress: (done, total) => context.progress(done, total),
      signal: context.signal
    });
  } catch (err) {
    if (createdHere && localFolder !== null) {
      await removeFailedFolder(localFolder);
    }
    throw err;
  } finally {
    await store.close();
  }
  await services.measurements.remember(key, outcome.plan, runDurations(stored.runId, stored.records));
  await services.measurements.record(outcome.bundle, checkpointObservations(outcome), request.s3?.endpoint);
  return { kernelId, notebook: request.notebookPath, ...summarizeCheckpoint(outcome) };
}
