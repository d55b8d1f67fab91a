/**
 * Throughputs the companion measured on its own checkpoints and restores, kept with
 * `MeasurementLog` in `<dataDir>/measurements.json`, so that the plans it serves (the plan route's
 * `storedMeasurements` hook) and the checkpoints it makes price copies with what this machine and
 * its store actually did.
 */
import { MeasurementLog, storeTarget } from '../migrate/measurementLog';
import { Measurements, ThroughputKind } from '../planner/index';

/**
 * Smallest transfer worth remembering: below it the time is mostly fixed costs (an fsync, a
 * request round trip), and a rate computed from it would make every later copy look far slower
 * than it is.
 */
export const MIN_OBSERVED_BYTES = 1 << 20;

/** One observation: `bytes` of `kind` work took `ms` against the store of `uri`. */
export interface IObservation {
  kind: ThroughputKind;
  uri: string;
  bytes: number;
  ms: number;
}

/** The companion's measurement log: opened on first use, saved after every job. */
export class CompanionMeasurements {
  private log: Promise<MeasurementLog> | null = null;
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly dataDir: string) {}

  /** The measurements for a checkpoint to (or a restore from) the store of `uri`. */
  async forUri(uri: string): Promise<Measurements> {
    return (await this.open()).measurements(storeTarget(uri));
  }

  /**
   * Remember observations of at least {@link MIN_OBSERVED_BYTES} and write the log (failures are
   * ignored: measurements are an optimisation).
   */
  async record(observations: IObservation[]): Promise<void> {
    const log = await this.open();
    for (const o of observations) {
      if (Number.isFinite(o.bytes) && Number.isFinite(o.ms) && o.bytes >= MIN_OBSERVED_BYTES && o.ms > 0) {
        log.record(o.kind, storeTarget(o.uri), o.bytes, o.ms);
      }
    }
    // One save at a time: two jobs finishing together must not interleave their writes.
    this.saving = this.saving.then(() => log.save());
    await this.saving;
  }

  private open(): Promise<MeasurementLog> {
    this.log = this.log ?? MeasurementLog.open(this.dataDir);
    return this.log;
  }
}
