/**
 * Throughputs the companion measured on its own checkpoints and restores, and the decisions of
 * its recent plans (for plan stability), kept with
 * `MeasurementLog` in `<dataDir>/measurements.json`, so that the plans it serves (the plan route's
 * `storedMeasurements` hook) and the checkpoints it makes price copies with what this machine and
 * its store actually did.
 */
import { IObservation, MeasurementLog } from '../migrate/measurementLog';
import { IFeasiblePlan, IPlanHistory, IRunDurations, Measurements } from '../planner/index';

/** The companion's measurement log: opened on first use, saved after every job. */
export class CompanionMeasurements {
  private log: Promise<MeasurementLog> | null = null;
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly dataDir: string) {}

  /** The measurements for a checkpoint to (or a restore from) the store of `uri` (at S3 `endpoint`). */
  async forUri(uri: string, endpoint?: string): Promise<Measurements> {
    return (await this.open()).measurements(uri, endpoint);
  }

  /**
   * Remember what a job observed against the store of bundle `uri` and write the log (failures
   * are ignored: measurements are an optimisation).
   */
  async record(uri: string, observations: IObservation[], endpoint?: string): Promise<void> {
    const log = await this.open();
    log.record(uri, observations, endpoint);
    // One save at a time: two jobs finishing together must not interleave their writes.
    this.saving = this.saving.then(() => log.save());
    await this.saving;
  }

  /** What the plans of history `key` (see `historyKey`) left: last decisions, recent cell times. */
  async previous(key: string): Promise<IPlanHistory | undefined> {
    return (await this.open()).previous(key);
  }

  /**
   * Remember the decisions of `plan` and the cell times of `run` for history `key`; written with
   * the next job's measurements (or now, with `save`: a checkpoint's plan is worth keeping at once).
   */
  async remember(key: string, plan: Pick<IFeasiblePlan, 'groups'>, run: IRunDurations, save = false): Promise<void> {
    const log = await this.open();
    log.remember(key, plan, run);
    if (save) {
      this.saving = this.saving.then(() => log.save());
      await this.saving;
    }
  }

  private open(): Promise<MeasurementLog> {
    this.log = this.log ?? MeasurementLog.open(this.dataDir);
    return this.log;
  }
}
