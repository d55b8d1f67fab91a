/**
 * Throughputs seen on real checkpoints and restores, kept in a small JSON file so that the next
 * plan prices copies with what this machine and this store actually did (DESIGN.md 2.3: measured,
 * never probed). A missing or damaged file only means "nothing measured yet".
 */
import { promises as fs } from 'fs';
import os from 'os';
import path from 'path';
import { Measurements, ThroughputKind, ThroughputMeter } from '../planner/index';

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

  /** The measurements for a migration from this host to `target`. */
  measurements(target: string): Measurements {
    return this.meter.measurements(os.hostname(), target);
  }

  /** Remember an observation (serialize/deserialize are per host, write/read per store). */
  record(kind: ThroughputKind, target: string, bytes: number, ms: number): void {
    const on = kind === 'serialize' || kind === 'deserialize' ? os.hostname() : target;
    this.meter.record(kind, on, bytes, ms);
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
