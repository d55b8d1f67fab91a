/**
 * Throughputs seen on real checkpoints and restores, kept in a small JSON file so that the next
 * plan prices copies with what this machine and this store actually did (DESIGN.md 2.3: measured,
 * never probed). A missing or damaged file only means "nothing measured yet".
 */
import { promises as fs } from 'fs';
import os from 'os';
import path from 'path';
import { Measurements, ThroughputKind, ThroughputMeter } from '../planner/index';
import type { ICheckpointOutcome } from './checkpoint';
import type { IRestoreOutcome } from './restore';

/** One throughput observation: `bytes` of `kind` work took `ms`. */
export interface IObservation {
  kind: ThroughputKind;
  bytes: number;
  ms: number;
}

/** What a checkpoint measured: serializing, and writing (the agent's file writes plus publishing). */
export function checkpointObservations(outcome: ICheckpointOutcome): IObservation[] {
  return [
    { kind: 'serialize', bytes: outcome.manifest.stats.payloadBytes, ms: outcome.timings.serializeMs },
    // Publishing alone is only fsyncs for a local folder: the writes happened in the agent.
    { kind: 'write', bytes: outcome.bytes, ms: outcome.timings.writeMs + outcome.timings.publishMs }
  ];
}

/** What a restore measured: fetching from the store, and loading payloads into the kernel. */
export function restoreObservations(outcome: Pick<IRestoreOutcome, 'bytes' | 'timings'>): IObservation[] {
  return [
    { kind: 'read', bytes: outcome.bytes.fetched, ms: outcome.timings.fetchMs },
    // First imports are paid by a re-run as much as by a load: not part of the copy's cost.
    { kind: 'deserialize', bytes: outcome.bytes.loaded, ms: Math.max(0, outcome.timings.loadMs - outcome.timings.importMs) }
  ];
}

/** The default data folder of the CLI: `$ELASTIC_NOTEBOOK_DATA_DIR`, else `~/.local/share/elastic-notebook`. */
export function defaultDataDir(): string {
  return (
    process.env.ELASTIC_NOTEBOOK_DATA_DIR ??
    path.join(process.env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share'), 'elastic-notebook')
  );
}

/** The measurement target of a bundle URI: the store, not the bundle (`s3://bucket`, `local`). */
export function storeTarget(uri: string): string {
  const s3 = /^s3:\/\/([^/]+)/.exec(uri);
  return s3 ? `s3://${s3[1]}` : 'local';
}

/** A ThroughputMeter persisted in `<dataDir>/measurements.json`. */
export class MeasurementLog {
  private constructor(private readonly file: string, private readonly meter: ThroughputMeter) {}

  /** Open the log in `dataDir` (an unreadable file starts an empty log). */
  static async open(dataDir = defaultDataDir()): Promise<MeasurementLog> {
    const file = path.join(dataDir, 'measurements.json');
    let log: unknown = [];
    try {
      log = JSON.parse(await fs.readFile(file, 'utf8'));
    } catch {
      // Nothing measured yet, or a damaged file: start afresh.
    }
    return new MeasurementLog(file, ThroughputMeter.fromJSON(log));
  }

  /** The measurements for a migration from this host to the store of bundle `uri`. */
  measurements(uri: string): Measurements {
    return this.meter.measurements(os.hostname(), storeTarget(uri));
  }

  /**
   * Remember observations made against the store of bundle `uri` (serialize/deserialize are per
   * host, write/read per store); malformed ones (negative, not finite) are skipped.
   */
  record(uri: string, observations: IObservation[]): void {
    for (const { kind, bytes, ms } of observations) {
      const on = kind === 'serialize' || kind === 'deserialize' ? os.hostname() : storeTarget(uri);
      try {
        this.meter.record(kind, on, bytes, ms);
      } catch {
        // A measurement that makes no sense is not worth failing a checkpoint over.
      }
    }
  }

  /** Write the log (atomically; failures are ignored: measurements are an optimisation). */
  async save(): Promise<void> {
    const temp = `${this.file}.${process.pid}.tmp`;
    try {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      await fs.writeFile(temp, JSON.stringify(this.meter.toJSON()));
      await fs.rename(temp, this.file);
    } catch {
      await fs.rm(temp, { force: true }).catch(() => undefined);
    }
  }
}
