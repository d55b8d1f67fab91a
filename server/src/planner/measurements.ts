/**
 * Throughputs observed on real work (serializing groups, writing and reading payloads, the fixed
 * work of checkpoints and restores), kept per target (the machine for serializing, the store for
 * transfers) and per size class, and turned into robust estimates: the median of a bounded window
 * of recent observations, so that one slow or cold transfer does not move a price. Nothing here
 * probes: it only remembers what checkpoints and restores reported.
 */
import {
  DEFAULT_COSTS,
  defaultThroughput,
  IThroughput,
  Measurements,
  PRICED_KINDS,
  PricedKind,
  sizeClass,
  SizeClass
} from './costs';

/**
 * What an observation was made on: a priced kind, the fixed cost of re-running an execution, or
 * first imports (`bytes` is then the number of modules they loaded).
 */
export type ThroughputKind = PricedKind | 'rerun' | 'import';

/** Every kind a meter keeps. */
export const THROUGHPUT_KINDS: readonly ThroughputKind[] = [...PRICED_KINDS, 'rerun', 'import'];

/** One observation: `ops` operations on `bytes` bytes in all took `ms`. */
export interface IMeterObservation {
  bytes: number;
  ms: number;
  ops: number;
}

/** How many recent observations are kept per (kind, target, size class). */
export const WINDOW = 15;

/** Below this many observations an estimate leans on the default (see `robust`). */
export const MIN_SAMPLES = 3;

/** The JSON form of a meter (version 2): `[kind, target, bytes, ms, ops]` per observation, oldest first. */
export interface IThroughputLog {
  format: 'elastic-notebook-measurements';
  version: 2;
  observations: Array<[ThroughputKind, string, number, number, number]>;
}

/** Latencies below this are rounded up (log-space averaging needs positive numbers), ms. */
const MIN_MS = 0.01;

/** The median of `values` (not empty). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * A robust estimate from `values` (positive) and a `prior` (the default): their median once there
 * are `MIN_SAMPLES`; below that, the geometric mean of the values with the prior counted for the
 * missing ones, so that a single cold transfer 10x off the default moves the estimate by about
 * 10^(1/3) = 2.2x, not 10x.
 */
export function robust(values: number[], prior: number): number {
  if (values.length >= MIN_SAMPLES) {
    return median(values);
  }
  const logs = values.map(Math.log);
  for (let i = values.length; i < MIN_SAMPLES; i++) {
    logs.push(Math.log(prior));
  }
  return Math.exp(logs.reduce((sum, v) => sum + v, 0) / logs.length);
}

const keyOf = (kind: ThroughputKind, target: string, cls: SizeClass) => `${kind}\u0000${target}\u0000${cls}`;

/** Remembers observed throughputs and turns them into cost-model measurements. */
export class ThroughputMeter {
  private readonly observations = new Map<string, IMeterObservation[]>();

  /**
   * A meter holding the observations of `log`: the version 2 object, or the version 1 list of
   * `[kind, target, bytes, ms]` (one operation each). Malformed entries are skipped; anything
   * else gives an empty meter.
   */
  static fromJSON(log: unknown): ThroughputMeter {
    const meter = new ThroughputMeter();
    const entries = Array.isArray(log)
      ? log
      : log && typeof log === 'object' && Array.isArray((log as IThroughputLog).observations)
        ? (log as IThroughputLog).observations
        : [];
    for (const entry of entries) {
      if (
        Array.isArray(entry) &&
        (entry.length === 4 || entry.length === 5) &&
        THROUGHPUT_KINDS.includes(entry[0]) &&
        typeof entry[1] === 'string'
      ) {
        try {
          meter.record(entry[0], entry[1], entry[2], entry[3], entry.length === 5 ? entry[4] : 1);
        } catch {
          // A damaged entry: skip it, keep the rest.
        }
      }
    }
    return meter;
  }

  /** Every kept observation, for storing. */
  toJSON(): IThroughputLog {
    const observations: IThroughputLog['observations'] = [];
    for (const [key, list] of this.observations) {
      const [kind, target] = key.split('\u0000') as [ThroughputKind, string];
      list.forEach(o => observations.push([kind, target, o.bytes, o.ms, o.ops]));
    }
    return { format: 'elastic-notebook-measurements', version: 2, observations };
  }

  /**
   * Record that `ops` operations of `kind` on `bytes` bytes in all took `ms` for `target`
   * (serializing and re-running are per machine: use the machine's name as target; transfers
   * per store). An observation of no operation, or of no time, says nothing and is not kept.
   */
  record(kind: ThroughputKind, target: string, bytes: number, ms: number, ops = 1): void {
    if (
      !(Number.isFinite(bytes) && bytes >= 0) ||
      !(Number.isFinite(ms) && ms >= 0) ||
      !(Number.isFinite(ops) && ops >= 0)
    ) {
      throw new RangeError(
        `throughput observation needs finite bytes, ms and ops >= 0, got ${bytes} bytes in ${ms} ms (${ops} ops)`
      );
    }
    if (ops === 0 || ms === 0) {
      return;
    }
    // The class of the operation, not of the batch: ten 1 MB groups are ten medium operations.
    const key = keyOf(kind, target, sizeClass(bytes / ops));
    const list = this.observations.get(key) ?? [];
    list.push({ bytes, ms, ops });
    if (list.length > WINDOW) {
      list.shift();
    }
    this.observations.set(key, list);
  }

  private list(kind: ThroughputKind, target: string, cls: SizeClass): IMeterObservation[] {
    return this.observations.get(keyOf(kind, target, cls)) ?? [];
  }

  /** The per-operation latency of `kind` on `target` from its small operations, and how many it rests on. */
  latency(kind: PricedKind | 'rerun', target: string): { ms: number; samples: number } {
    const prior = kind === 'rerun' ? DEFAULT_COSTS.rerunLatencyMs : defaultThroughput(kind, target).latencyMs;
    const rateGuess = kind === 'rerun' ? Infinity : defaultThroughput(kind, target).bytesPerSec[1];
    const values = this.list(kind, target, 0).map(o =>
      Math.max(MIN_MS, o.ms / o.ops - (1000 * o.bytes) / o.ops / rateGuess)
    );
    return { ms: robust(values, Math.max(MIN_MS, prior)), samples: values.length };
  }

  /**
   * The throughput of `kind` on `target`, per size class, with the latency it is net of. A class
   * with fewer than `MIN_SAMPLES` observations pools those of its neighbour (1-64 MB with 64 MB
   * and more); the small class, whose time is mostly latency, takes the 1-64 MB throughput.
   */
  throughput(kind: PricedKind, target: string): IThroughput {
    const latency = this.latency(kind, target);
    const rates = (cls: SizeClass) =>
      this.list(kind, target, cls).map(o => {
        const perOp = o.ms / o.ops;
        // Net of the latency, but never below a fifth of the time (a latency estimated high).
        const netMs = Math.max(perOp - latency.ms, perOp / 5, MIN_MS);
        return (1000 * (o.bytes / o.ops)) / netMs;
      });
    const prior = defaultThroughput(kind, target).bytesPerSec;
    const medium = rates(1);
    const large = rates(2);
    // Classes borrow each other's observations only for work whose rate does not depend on what
    // the bytes are (moving bytes: pickling out-of-band buffers, transfers, hashing buffers). Where
    // the defaults set large operations apart, they are different work: loading 64 MB and more is
    // mostly array memory read into place (a 2 GB array session loads at 4.5 GB/s, groups of a
    // few MB of models and frames at 1.4), and the fixed work of a checkpoint or restore walks
    // objects a hundred times slower per byte than arrays hash.
    const pools = prior[1] === prior[2] && kind !== 'checkpoint' && kind !== 'restore';
    const mediumValues = medium.length >= MIN_SAMPLES || !pools ? medium : [...medium, ...large];
    const largeValues = large.length >= MIN_SAMPLES || !pools ? large : [...large, ...medium];
    const mediumRate = robust(mediumValues, prior[1]);
    return {
      latencyMs: latency.ms,
      bytesPerSec: [mediumRate, mediumRate, robust(largeValues, prior[2])],
      latencySamples: latency.samples,
      rateSamples: [mediumValues.length, mediumValues.length, largeValues.length]
    };
  }

  /**
   * The time a first import takes per module it loads on `target` (a machine), ms: all the kept
   * restores' import time over all the modules they loaded (the time per module of one library
   * varies 0.05-1.2 ms; large imports, which matter, weigh the most), the default weighed in
   * below `MIN_SAMPLES` restores.
   */
  importPerModule(target: string): { ms: number; samples: number } {
    const kept = ([0, 1, 2] as SizeClass[]).flatMap(cls => this.list('import', target, cls)).filter(o => o.bytes > 0);
    if (kept.length === 0) {
      return { ms: DEFAULT_COSTS.importMsPerModule, samples: 0 };
    }
    const modules = kept.reduce((sum, o) => sum + o.bytes, 0);
    const ratio = Math.max(MIN_MS, kept.reduce((sum, o) => sum + o.ms, 0) / modules);
    // One ratio per kept restore, so that `robust` weighs in the default as for any other number.
    return {
      ms: robust(new Array(Math.min(kept.length, MIN_SAMPLES)).fill(ratio), DEFAULT_COSTS.importMsPerModule),
      samples: kept.length
    };
  }

  /** Whether anything of `kind` was observed on `target`. */
  has(kind: ThroughputKind, target: string): boolean {
    return ([0, 1, 2] as SizeClass[]).some(cls => this.list(kind, target, cls).length > 0);
  }

  /**
   * Bytes per second of `kind` for `target` for large operations (64 MB and more, else 1-64 MB),
   * or undefined when no operation of 1 MB or more was observed.
   */
  estimate(kind: PricedKind, target: string): number | undefined {
    if (this.list(kind, target, 1).length + this.list(kind, target, 2).length === 0) {
      return undefined;
    }
    return this.throughput(kind, target).bytesPerSec[2];
  }

  /**
   * The measured numbers for a migration from `source` (the machine) to the store `store`, for
   * `costModel()`: only kinds with observations are given, the rest stay defaults.
   *
   * @param targetSpeed - relative speed of the target machine, when known.
   */
  measurements(source: string, store: string, targetSpeed?: number): Measurements {
    const on: Record<PricedKind, string> = {
      serialize: source,
      deserialize: source,
      write: store,
      read: store,
      checkpoint: store,
      restore: store,
      hash: source
    };
    const throughputs: NonNullable<Measurements['throughputs']> = {};
    for (const kind of PRICED_KINDS) {
      if (this.has(kind, on[kind])) {
        throughputs[kind] = this.throughput(kind, on[kind]);
      }
    }
    const result: Measurements = { store };
    if (Object.keys(throughputs).length > 0) {
      result.throughputs = throughputs;
    }
    if (this.has('rerun', source)) {
      const latency = this.latency('rerun', source);
      result.rerunLatencyMs = latency.ms;
      result.rerunLatencySamples = latency.samples;
    }
    if (this.has('import', source)) {
      const perModule = this.importPerModule(source);
      result.importMsPerModule = perModule.ms;
      result.importSamples = perModule.samples;
    }
    if (targetSpeed !== undefined) {
      result.targetSpeed = targetSpeed;
    }
    return result;
  }
}
