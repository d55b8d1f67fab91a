/**
 * Throughputs seen on real checkpoints and restores, and the decisions of recent plans, kept in a
 * small JSON file so that the next plan prices copies with what this machine and this store
 * actually did (docs/method.md section 3: measured, never probed) and keeps its decisions while the costs do
 * not really change. A missing or damaged file only means "nothing measured yet"; a file of the
 * first format (a bare list of observations) is read as such.
 */
import { promises as fs } from 'fs';
import os from 'os';
import path from 'path';
import {
  decisionsOf,
  IFeasiblePlan,
  IPlanHistory,
  IRunDurations,
  LOCAL_STORE,
  Measurements,
  PreviousDecisions,
  RECENT_RUNS,
  ThroughputKind,
  ThroughputMeter,
  withRun
} from '../planner/index';
import type { IHashed } from './agentCalls';
import type { ICheckpointOutcome } from './checkpoint';

/** One observation: `ops` operations of `kind` on `bytes` bytes in all took `ms`. */
export interface IObservation {
  kind: ThroughputKind;
  bytes: number;
  ms: number;
  /** Operations (groups, files, executions) the time covers; 1 when absent. */
  ops?: number;
}

/** What a restore carried out, as far as the cost model prices it (see `plannedWork`). */
export interface IPlannedWork {
  /** Groups loaded from payloads. */
  copiedGroups: number;
  /** Executions re-run and the sum of their recorded durations, ms. */
  rerunExecutions: number;
  rerunRecordedMs: number;
  /** The session's state bytes as the plan priced them. */
  stateBytes: number;
  /** The plan's estimates, ms. */
  estimate: IFeasiblePlan['estimate'];
}

/** The work of plan `plan` over the recorded durations `durations` (by execution index). */
export function plannedWork(plan: IFeasiblePlan, durations: Array<{ durationMs: number }>): IPlannedWork {
  return {
    copiedGroups: plan.groups.filter(g => g.decision === 'copy').length,
    rerunExecutions: plan.rerun.length,
    rerunRecordedMs: plan.rerun.reduce((sum, e) => sum + (durations[e]?.durationMs ?? 0), 0),
    stateBytes: plan.groups.reduce((sum, g) => sum + g.sizeBytes, 0),
    estimate: plan.estimate
  };
}

const nonNegative = (ms: number) => Math.max(0, ms);

/** Hashing arrays' memory while fingerprinting (`hashed`), when there was any. */
function hashObservations(hashed: IHashed): IObservation[] {
  return hashed.bytes > 0 && hashed.ms > 0 ? [{ kind: 'hash', bytes: hashed.bytes, ms: hashed.ms, ops: 1 }] : [];
}

/**
 * What a checkpoint measured: serializing (per copied group), writing (the agent's file writes
 * plus publishing, per file), hashing arrays' memory for the full fingerprint, and the rest of
 * its time (planning, fingerprinting the rest of the state, committing) over the rest of the
 * state's bytes.
 */
export function checkpointObservations(outcome: ICheckpointOutcome): IObservation[] {
  const copied = outcome.plan.groups.filter(g => g.decision === 'copy').length;
  const state = outcome.plan.groups.reduce((sum, g) => sum + g.sizeBytes, 0);
  const t = outcome.timings;
  const hashed = outcome.hashed;
  return [
    { kind: 'serialize', bytes: outcome.manifest.stats.payloadBytes, ms: t.serializeMs, ops: copied },
    // Publishing alone is only fsyncs for a local folder: the writes happened in the agent.
    { kind: 'write', bytes: outcome.bytes, ms: t.writeMs + t.publishMs, ops: copied + 1 },
    ...hashObservations(hashed),
    {
      kind: 'checkpoint',
      bytes: nonNegative(state - hashed.bytes),
      ms: nonNegative(t.totalMs - t.serializeMs - t.writeMs - t.publishMs - hashed.ms),
      ops: 1
    }
  ];
}

/**
 * The restore timings the observations read. Restores that report `kernelStartMs` report
 * `loadMs` net of first imports; older ones included the imports in `loadMs` (and `importMs`
 * said how much of it they were).
 */
export interface IObservedRestoreTimings {
  totalMs: number;
  fetchMs: number;
  rerunMs: number;
  loadMs: number;
  importMs: number;
  verifyMs: number;
  attempts: number;
  kernelStartMs?: number;
  adoptMs?: number;
  /** How many modules the first imports of `importMs` loaded (absent in older restores). */
  modulesImported?: number;
}

/** The restore timings that say how long starting the kernel took, in the order they are looked for. */
const KERNEL_START_KEYS = ['kernelMs', 'kernelStartMs', 'openMs', 'startMs'] as const;

/**
 * A restore's time outside the kernel's start, as the migration benchmark counts it (the total
 * minus the start; without a start in the timings, fetch + re-runs + loads + verify + adopt), ms.
 */
export function restoreWorkMs(timings: IObservedRestoreTimings): number {
  const all = timings as unknown as Record<string, number>;
  const start = KERNEL_START_KEYS.map(key => all[key]).find(v => typeof v === 'number');
  if (start !== undefined) {
    return nonNegative(timings.totalMs - start);
  }
  return timings.fetchMs + timings.rerunMs + timings.loadMs + timings.verifyMs + (timings.adoptMs ?? 0);
}

/**
 * What a restore measured: fetching from the store, loading payloads into the kernel (first
 * imports left out: a re-run pays them too), the fixed cost of each re-run, and the rest of its
 * time (bootstrap, imports, verification, adoption) over the state's bytes. Without `planned`
 * (an outcome of an older restore) only the fetch and the loads are observed.
 */
export function restoreObservations(outcome: {
  bytes: { fetched: number; loaded: number };
  timings: IObservedRestoreTimings;
  planned?: IPlannedWork;
  /** Of verifying: hashing arrays' memory (absent from older restores). */
  hashed?: IHashed;
}): IObservation[] {
  const t = outcome.timings;
  const planned = outcome.planned;
  const loadMs = nonNegative(t.kernelStartMs !== undefined ? t.loadMs : t.loadMs - t.importMs);
  const observations: IObservation[] = [
    { kind: 'read', bytes: outcome.bytes.fetched, ms: t.fetchMs, ops: planned ? planned.copiedGroups + 1 : 1 },
    {
      kind: 'deserialize',
      bytes: outcome.bytes.loaded,
      ms: loadMs,
      ops: planned ? Math.max(planned.copiedGroups, 1) : 1
    }
  ];
  // A restore that fell back started over: its times mix two attempts.
  if (planned && t.attempts <= 1) {
    if (planned.rerunExecutions > 0) {
      // A re-run faster than recorded still says "no extra cost" (an observation of 0 ms is dropped).
      const extraMs = Math.max(t.rerunMs - planned.rerunRecordedMs, 0.01 * planned.rerunExecutions);
      observations.push({ kind: 'rerun', bytes: 0, ms: extraMs, ops: planned.rerunExecutions });
    }
    // First imports are priced by the executions that imported (re-run, or as the `importMs` of
    // copied groups), at the time per module measured here: not part of the fixed work.
    if ((t.modulesImported ?? 0) > 0 && t.importMs > 0) {
      observations.push({ kind: 'import', bytes: t.modulesImported as number, ms: t.importMs, ops: 1 });
    }
    const hashed = outcome.hashed ?? { bytes: 0, ms: 0 };
    observations.push(...hashObservations(hashed), {
      kind: 'restore',
      bytes: nonNegative(planned.stateBytes - hashed.bytes),
      ms: nonNegative(restoreWorkMs(t) - t.fetchMs - t.rerunMs - loadMs - t.importMs - hashed.ms),
      ops: 1
    });
  }
  return observations;
}

/** The default data folder of the CLI: `$ELASTIC_NOTEBOOK_DATA_DIR`, else `~/.local/share/elastic-notebook`. */
export function defaultDataDir(): string {
  return (
    process.env.ELASTIC_NOTEBOOK_DATA_DIR ??
    path.join(process.env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share'), 'elastic-notebook')
  );
}

/**
 * The measurement target of a bundle URI: the store, not the bundle: `local`, or
 * `s3://<endpoint host>/<bucket>` (`s3://<bucket>` on AWS itself), so that each S3 endpoint and
 * bucket has throughputs of its own. `endpoint` defaults to the environment's, as the store's does.
 */
export function storeTarget(uri: string, endpoint?: string, env: NodeJS.ProcessEnv = process.env): string {
  const s3 = /^s3:\/\/([^/]+)/.exec(uri);
  if (!s3) {
    return LOCAL_STORE;
  }
  const chosen = [endpoint, env.AWS_ENDPOINT_URL_S3, env.AWS_ENDPOINT_URL].find(e => e && e.trim() !== '');
  const host = chosen
    ?.trim()
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/+$/, '');
  return host ? `s3://${host}/${s3[1]}` : `s3://${s3[1]}`;
}

/** How many plans' decisions are remembered (the least recently used go first). */
export const REMEMBERED_PLANS = 100;

/** The file's JSON (version 2); version 1 was the bare observation list. */
interface ILogFile {
  format: 'elastic-notebook-measurements';
  version: 2;
  observations: unknown;
  plans?: Record<string, { decisions: PreviousDecisions; runs?: IRunDurations[] }>;
}

/** A ThroughputMeter and recent plans' decisions persisted in `<dataDir>/measurements.json`. */
export class MeasurementLog {
  private constructor(
    private readonly file: string,
    private readonly meter: ThroughputMeter,
    private readonly plans: Map<string, IPlanHistory>
  ) {}

  /** A log of the file's JSON (either version; anything else starts empty). */
  static fromJSON(file: string, json: unknown): MeasurementLog {
    const plans = new Map<string, IPlanHistory>();
    const log = json as Partial<ILogFile> | null;
    if (log && typeof log === 'object' && !Array.isArray(log) && log.plans && typeof log.plans === 'object') {
      for (const [key, value] of Object.entries(log.plans)) {
        const decisions = value?.decisions;
        if (
          decisions &&
          typeof decisions === 'object' &&
          Object.values(decisions).every(d => d === 'copy' || d === 'recompute')
        ) {
          plans.set(key, { decisions: { ...decisions }, runs: validRuns(value.runs) });
        }
      }
    }
    return new MeasurementLog(file, ThroughputMeter.fromJSON(json), plans);
  }

  /** Open the log in `dataDir` (an unreadable file starts an empty log). */
  static async open(dataDir = defaultDataDir()): Promise<MeasurementLog> {
    const file = path.join(dataDir, 'measurements.json');
    let json: unknown = null;
    try {
      json = JSON.parse(await fs.readFile(file, 'utf8'));
    } catch {
      // Nothing measured yet, or a damaged file: start afresh.
    }
    return MeasurementLog.fromJSON(file, json);
  }

  /** The measurements for a migration from this host to the store of bundle `uri`. */
  measurements(uri: string, endpoint?: string): Measurements {
    return this.meter.measurements(os.hostname(), storeTarget(uri, endpoint));
  }

  /**
   * Remember observations made against the store of bundle `uri` (serialize/deserialize/rerun
   * are per host, the rest per store); malformed ones (negative, not finite) are skipped.
   */
  record(uri: string, observations: IObservation[], endpoint?: string): void {
    for (const { kind, bytes, ms, ops } of observations) {
      const onHost =
        kind === 'serialize' || kind === 'deserialize' || kind === 'rerun' || kind === 'import' || kind === 'hash';
      const on = onHost ? os.hostname() : storeTarget(uri, endpoint);
      try {
        this.meter.record(kind, on, bytes, ms, ops ?? 1);
      } catch {
        // A measurement that makes no sense is not worth failing a checkpoint over.
      }
    }
  }

  /** What the plans of history `key` (`historyKey`) left: last decisions, recent runs' cell times. */
  previous(key: string): IPlanHistory | undefined {
    const remembered = this.plans.get(key);
    return remembered
      ? { decisions: { ...remembered.decisions }, runs: remembered.runs.map(r => ({ ...r })) }
      : undefined;
  }

  /** Remember the decisions of `plan`, made for history `key`, and the cell times of `run`. */
  remember(key: string, plan: Pick<IFeasiblePlan, 'groups'>, run: IRunDurations): void {
    const runs = this.plans.get(key)?.runs ?? [];
    this.plans.delete(key);
    this.plans.set(key, { decisions: decisionsOf(plan), runs: withRun(runs, run) });
    while (this.plans.size > REMEMBERED_PLANS) {
      this.plans.delete(this.plans.keys().next().value as string);
    }
  }

  /** The file's JSON. */
  toJSON(): ILogFile {
    const plans: ILogFile['plans'] = {};
    this.plans.forEach(({ decisions, runs }, key) => (plans[key] = { decisions, runs }));
    return { ...this.meter.toJSON(), plans };
  }

  /** Write the log (atomically; failures are ignored: measurements are an optimisation). */
  async save(): Promise<void> {
    const temp = `${this.file}.${process.pid}.tmp`;
    try {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      await fs.writeFile(temp, JSON.stringify(this.toJSON()));
      await fs.rename(temp, this.file);
    } catch {
      await fs.rm(temp, { force: true }).catch(() => undefined);
    }
  }
}

/** The well-formed run entries of a stored plan (older files have none). */
function validRuns(runs: unknown): IRunDurations[] {
  if (!Array.isArray(runs)) {
    return [];
  }
  return runs
    .filter(
      (r): r is IRunDurations =>
        !!r &&
        typeof r === 'object' &&
        typeof r.runId === 'string' &&
        Array.isArray(r.durationsMs) &&
        r.durationsMs.every((d: unknown) => typeof d === 'number' && Number.isFinite(d) && d >= 0)
    )
    .slice(-RECENT_RUNS)
    .map(r => ({ runId: r.runId, durationsMs: [...r.durationsMs] }));
}
