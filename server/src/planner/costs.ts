/**
 * The cost model: how long copying a group or re-running an execution takes, from measured numbers.
 *
 * For a group of `b` serialized bytes (times in ms, throughputs in bytes/s):
 *
 *   migrateMs(b) = 1000 b / serialize + 1000 b / write + payloadLatencyMs
 *   restoreMs(b) = 1000 b / read      + 1000 b / deserialize + payloadLatencyMs
 *
 * `write` is the bandwidth from the source kernel to the storage or target (upload), `read` the
 * bandwidth from there into the target kernel. For an execution recorded at `d` ms on the source:
 *
 *   rerunMs(e) = d / targetSpeed          (targetSpeed > 1: the target is faster)
 *
 * A plan copying the groups C and re-running the executions R takes
 *
 *   migrate = sum over C of migrateMs,  restore = sum over C of restoreMs + sum over R of rerunMs
 *
 * and the objective minimises `weights.migrate * migrate + weights.restore * restore`:
 * `balanced` weights both 1 (total time), `fast-migrate` weights migration 1 and restoration 0.1
 * (get off the source machine first, yet do not ignore the restore), `fast-restore` the reverse.
 * So the min-cut capacities are: source -> group = weighted copy cost, execution -> sink =
 * `weights.restore * rerunMs`.
 */
import { z } from 'zod';
import type { Objective } from './types';

/** Relative weights of migration and restoration time in the objective. */
export interface IObjectiveWeights {
  migrate: number;
  restore: number;
}

/** The numbers the planner prices a plan with. */
export interface ICostModel {
  /** Serializer throughput in the source kernel, bytes/s. */
  serializeBytesPerSec: number;
  /** Deserializer throughput in the target kernel, bytes/s. */
  deserializeBytesPerSec: number;
  /** Source kernel to storage/target bandwidth, bytes/s. */
  writeBytesPerSec: number;
  /** Storage/target to target kernel bandwidth, bytes/s. */
  readBytesPerSec: number;
  /** Fixed cost per payload file, per direction (request and file creation latency), ms. */
  payloadLatencyMs: number;
  /** Speed of the target relative to the source for re-running cells (2 = twice as fast). */
  targetSpeed: number;
  /** Objective weights. */
  weights: IObjectiveWeights;
  /** Which of the numbers above come from measurements in this session; the rest are defaults. */
  measured: string[];
}

/**
 * Defaults used until a number has been measured: below what the migration benchmark sees on a
 * 2-core VM with a local ext4 folder (pickling with out-of-band buffers 5-9 GB/s; payload
 * writes 300-600 MB/s; loading from the page cache 1-3 GB/s), so that a first plan neither
 * shuns copying nor overrates it.
 */
export const DEFAULT_COSTS = {
  serializeBytesPerSec: 2e9,
  deserializeBytesPerSec: 1e9,
  writeBytesPerSec: 300e6,
  readBytesPerSec: 1e9,
  payloadLatencyMs: 1,
  targetSpeed: 1
} as const;

/** The weights of each objective. */
export const OBJECTIVE_WEIGHTS: Record<Objective, IObjectiveWeights> = {
  'fast-migrate': { migrate: 1, restore: 0.1 },
  'fast-restore': { migrate: 0.1, restore: 1 },
  balanced: { migrate: 1, restore: 1 }
};

const rate = z.number().finite().positive();

/** Measured numbers that override the defaults; every field is optional. */
export const measurementsSchema = z
  .object({
    serializeBytesPerSec: rate.optional(),
    deserializeBytesPerSec: rate.optional(),
    writeBytesPerSec: rate.optional(),
    readBytesPerSec: rate.optional(),
    payloadLatencyMs: z.number().finite().nonnegative().optional(),
    targetSpeed: rate.optional(),
    weights: z.object({ migrate: z.number().finite().nonnegative(), restore: z.number().finite().nonnegative() })
      .refine(w => w.migrate + w.restore > 0, 'weights cannot both be 0')
      .optional()
  })
  .strict();

/** Measured numbers for `costModel()`. */
export type Measurements = z.infer<typeof measurementsSchema>;

/**
 * Build the cost model of an objective from measured numbers (validated; a bad number throws a
 * `RangeError` naming the field). `weights`, when given, overrides the objective's weights.
 */
export function costModel(objective: Objective, measurements: Measurements = {}): ICostModel {
  const parsed = measurementsSchema.safeParse(measurements);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RangeError(`cost model: ${issue.path.join('.') || 'measurements'}: ${issue.message}`);
  }
  const m = parsed.data;
  const weights = OBJECTIVE_WEIGHTS[objective];
  if (!weights) {
    throw new RangeError(`unknown objective '${objective}': use fast-migrate, fast-restore or balanced`);
  }
  const measured = (Object.keys(DEFAULT_COSTS) as Array<keyof typeof DEFAULT_COSTS>).filter(k => m[k] !== undefined);
  return {
    serializeBytesPerSec: m.serializeBytesPerSec ?? DEFAULT_COSTS.serializeBytesPerSec,
    deserializeBytesPerSec: m.deserializeBytesPerSec ?? DEFAULT_COSTS.deserializeBytesPerSec,
    writeBytesPerSec: m.writeBytesPerSec ?? DEFAULT_COSTS.writeBytesPerSec,
    readBytesPerSec: m.readBytesPerSec ?? DEFAULT_COSTS.readBytesPerSec,
    payloadLatencyMs: m.payloadLatencyMs ?? DEFAULT_COSTS.payloadLatencyMs,
    targetSpeed: m.targetSpeed ?? DEFAULT_COSTS.targetSpeed,
    weights: m.weights ?? { ...weights },
    measured: m.weights ? [...measured, 'weights'] : measured
  };
}

/** Source-side time to copy `bytes`: serialize and write out. */
export function copyMigrateMs(model: ICostModel, bytes: number): number {
  return (1000 * bytes) / model.serializeBytesPerSec + (1000 * bytes) / model.writeBytesPerSec + model.payloadLatencyMs;
}

/** Target-side time to copy `bytes`: read in and deserialize. */
export function copyRestoreMs(model: ICostModel, bytes: number): number {
  return (1000 * bytes) / model.readBytesPerSec + (1000 * bytes) / model.deserializeBytesPerSec + model.payloadLatencyMs;
}

/** Time to re-run an execution recorded at `durationMs` on the target. */
export function rerunMs(model: ICostModel, durationMs: number): number {
  return durationMs / model.targetSpeed;
}

/** The objective's cost of a migration and restoration time pair. */
export function weighted(model: ICostModel, migrateMs: number, restoreMs: number): number {
  return model.weights.migrate * migrateMs + model.weights.restore * restoreMs;
}

/**
 * Capacities are integers in these units per ms (1 unit = 1 microsecond of weighted cost): integer
 * arithmetic keeps the max-flow exact, and 2^53 units still cover centuries.
 */
export const UNITS_PER_MS = 1000;

/** A weighted cost in ms as an integer capacity (Infinity stays Infinity). */
export function toUnits(weightedMs: number): number {
  return weightedMs === Infinity ? Infinity : Math.round(weightedMs * UNITS_PER_MS);
}
