/**
 * Throughput observed on real work (serializing groups, writing and reading payloads), kept per
 * target so that the cost model of a migration to a given machine uses what was seen there.
 * Nothing here probes: it only remembers what checkpoints and restores reported.
 */
import type { Measurements } from './costs';

/** What a throughput was observed on. */
export type ThroughputKind = 'serialize' | 'deserialize' | 'write' | 'read';

interface IObservation {
  bytes: number;
  ms: number;
}

/** Below this size a transfer mostly measures latency, not bandwidth. */
const MIN_BANDWIDTH_BYTES = 1 << 20;

/** How many recent observations an estimate uses (bandwidth drifts). */
const WINDOW = 20;

/** The JSON form of a meter: `[kind, target, bytes, ms]` per observation, oldest first. */
export type ThroughputLog = Array<[ThroughputKind, string, number, number]>;

const KINDS: readonly ThroughputKind[] = ['serialize', 'deserialize', 'write', 'read'];

/** Remembers observed throughputs and turns them into cost-model measurements. */
export class ThroughputMeter {
  private readonly observations = new Map<string, IObservation[]>();

  /** A meter holding the observations of `log`; malformed entries are skipped. */
  static fromJSON(log: unknown): ThroughputMeter {
    const meter = new ThroughputMeter();
    if (Array.isArray(log)) {
      for (const entry of log) {
        if (Array.isArray(entry) && entry.length === 4 && KINDS.includes(entry[0]) && typeof entry[1] === 'string') {
          try {
            meter.record(entry[0], entry[1], entry[2], entry[3]);
          } catch {
            // A damaged entry: skip it, keep the rest.
          }
        }
      }
    }
    return meter;
  }

  /** Every kept observation, for storing. */
  toJSON(): ThroughputLog {
    const log: ThroughputLog = [];
    for (const [key, list] of this.observations) {
      const [kind, target] = key.split('\u0000') as [ThroughputKind, string];
      list.forEach(o => log.push([kind, target, o.bytes, o.ms]));
    }
    return log;
  }

  /**
   * Record that `bytes` took `ms` of `kind` work for `target` (serialization and
   * deserialization are per machine: use the machine's name as target).
   */
  record(kind: ThroughputKind, target: string, bytes: number, ms: number): void {
    if (!(Number.isFinite(bytes) && bytes >= 0) || !(Number.isFinite(ms) && ms >= 0)) {
      throw new RangeError(`throughput observation needs finite bytes >= 0 and ms >= 0, got ${bytes} bytes in ${ms} ms`);
    }
    if (bytes < MIN_BANDWIDTH_BYTES || ms === 0) {
      // Small transfers measure latency and fsyncs, not throughput (pricing a 20 MB copy from a
      // 2 KB one gave minutes): they are not kept, and until a large one is seen the defaults
      // are the better guess.
      return;
    }
    const key = `${kind}\u0000${target}`;
    const list = this.observations.get(key) ?? [];
    list.push({ bytes, ms });
    if (list.length > WINDOW) {
      list.shift();
    }
    this.observations.set(key, list);
  }

  /**
   * Bytes per second of `kind` for `target` over the recent observations (total bytes over total
   * time), or undefined if there is none (transfers under 1 MiB are not kept).
   */
  estimate(kind: ThroughputKind, target: string): number | undefined {
    const list = this.observations.get(`${kind}\u0000${target}`);
    if (!list || list.length === 0) {
      return undefined;
    }
    const bytes = list.reduce((sum, o) => sum + o.bytes, 0);
    const ms = list.reduce((sum, o) => sum + o.ms, 0);
    return (1000 * bytes) / ms;
  }

  /**
   * The measured numbers for a migration from `source` to `target`, for `costModel()`.
   *
   * @param targetSpeed - relative speed of the target machine, when known.
   */
  measurements(source: string, target: string, targetSpeed?: number): Measurements {
    const result: Measurements = {};
    const put = (field: keyof Measurements, value: number | undefined) => {
      if (value !== undefined) {
        (result as Record<string, number>)[field] = value;
      }
    };
    put('serializeBytesPerSec', this.estimate('serialize', source));
    put('deserializeBytesPerSec', this.estimate('deserialize', target) ?? this.estimate('deserialize', source));
    put('writeBytesPerSec', this.estimate('write', target));
    put('readBytesPerSec', this.estimate('read', target));
    put('targetSpeed', targetSpeed);
    return result;
  }
}
