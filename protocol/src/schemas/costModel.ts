/** The numbers a plan is priced with, as the plan carries them (`costModel`, docs/method.md section 3). */
import { z } from 'zod';
import { PRICED_KINDS } from '../pricedKinds';

const perSizeClass = z.tuple([z.number(), z.number(), z.number()]);

/** One priced kind's numbers: a latency, then a throughput per size class (under 1 MB, 1-64 MB, 64 MB and more). */
export const throughputSchema = z.object({
  /** Fixed cost of one operation (a request, a file, an agent call), ms. */
  latencyMs: z.number(),
  /** Throughput per size class, bytes/s. */
  bytesPerSec: perSizeClass,
  /** How many observations the latency rests on (0: the default). */
  latencySamples: z.number(),
  /** Per size class, how many observations the throughput rests on (0: the default). */
  rateSamples: perSizeClass
});

/** One priced kind's numbers. */
export type IThroughput = z.infer<typeof throughputSchema>;

/** How an objective weighs migration against restoration. */
export const objectiveWeightsSchema = z.object({ migrate: z.number(), restore: z.number() });

/** How an objective weighs migration against restoration. */
export type IObjectiveWeights = z.infer<typeof objectiveWeightsSchema>;

/** The numbers the planner prices a plan with. */
export const costModelSchema = z.object({
  /** Serializer throughput in the source kernel for large groups, bytes/s (`throughputs.serialize`). */
  serializeBytesPerSec: z.number(),
  /** Deserializer throughput in the target kernel for large groups, bytes/s. */
  deserializeBytesPerSec: z.number(),
  /** Source kernel to storage/target bandwidth for large groups, bytes/s. */
  writeBytesPerSec: z.number(),
  /** Storage/target to target kernel bandwidth for large groups, bytes/s. */
  readBytesPerSec: z.number(),
  /** Fixed cost per payload file written (request and file creation latency), ms. */
  payloadLatencyMs: z.number(),
  /** Speed of the target relative to the source for re-running cells (2 = twice as fast). */
  targetSpeed: z.number(),
  /**
   * Bandwidth to a migration's target, bytes/s: copying a group also sends its bytes at this
   * rate. Absent for a checkpoint (the bytes stop at the store).
   */
  transferBytesPerSec: z.number().optional(),
  /** Fixed cost of re-running one execution at restore (the agent's preparation and the request), ms. */
  rerunLatencyMs: z.number(),
  /** How many observations `rerunLatencyMs` rests on (0: the default). */
  rerunLatencySamples: z.number(),
  /**
   * Time a first import takes per module it loads, ms: an execution that loaded `n` modules is
   * priced `min(its duration, n * importMsPerModule)` for re-importing them.
   */
  importMsPerModule: z.number(),
  /** How many restores `importMsPerModule` rests on (0: the default). */
  importSamples: z.number(),
  /** Every priced kind with its per-size-class throughputs: what the costs are computed from. */
  throughputs: z.record(z.enum(PRICED_KINDS), throughputSchema),
  /** The store the transfer numbers are for (`local`, `s3://host/bucket`), when known. */
  store: z.string().optional(),
  /** Objective weights. */
  weights: objectiveWeightsSchema,
  /** Which of the numbers above come from measurements; the rest are defaults. */
  measured: z.array(z.string())
});

/** The numbers the planner prices a plan with. */
export type ICostModel = z.infer<typeof costModelSchema>;
