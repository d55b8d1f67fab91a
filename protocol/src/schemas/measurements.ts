/**
 * Measured numbers a plan request (or the companion's store of measurements) overrides the cost
 * model's defaults with (`costModel` in server/src/planner/costs.ts); every field is optional.
 */
import { z } from 'zod';
import { PRICED_KINDS, type PricedKind } from '../pricedKinds';

const rate = z.number().finite().positive();
const nonnegative = z.number().finite().nonnegative();
const count = z.number().int().nonnegative();

const measuredThroughputSchema = z
  .object({
    latencyMs: nonnegative.optional(),
    bytesPerSec: z.tuple([rate, rate, rate]).optional(),
    latencySamples: count.optional(),
    rateSamples: z.tuple([count, count, count]).optional()
  })
  .strict();

/** Measured numbers that override the defaults; every field is optional. */
export const measurementsSchema = z
  .object({
    serializeBytesPerSec: rate.optional(),
    deserializeBytesPerSec: rate.optional(),
    writeBytesPerSec: rate.optional(),
    readBytesPerSec: rate.optional(),
    payloadLatencyMs: nonnegative.optional(),
    targetSpeed: rate.optional(),
    /**
     * Bandwidth from this machine to a migration's target, bytes/s: a copied group's bytes are
     * also sent at this rate (absent: a checkpoint, whose bytes stop at the store).
     */
    transferBytesPerSec: rate.optional(),
    rerunLatencyMs: nonnegative.optional(),
    rerunLatencySamples: count.optional(),
    importMsPerModule: nonnegative.optional(),
    importSamples: count.optional(),
    /** Fixed cost of a checkpoint whatever its size (replaces the default checkpoint overhead), ms. */
    checkpointOverheadMs: nonnegative.optional(),
    /** Fixed cost of a restore whatever its size, ms. */
    restoreOverheadMs: nonnegative.optional(),
    store: z.string().max(500).optional(),
    throughputs: z
      .object(
        Object.fromEntries(PRICED_KINDS.map(kind => [kind, measuredThroughputSchema.optional()])) as Record<
          PricedKind,
          z.ZodOptional<typeof measuredThroughputSchema>
        >
      )
      .strict()
      .optional(),
    weights: z
      .object({ migrate: z.number().finite().nonnegative(), restore: z.number().finite().nonnegative() })
      .refine(w => w.migrate + w.restore > 0, 'weights cannot both be 0')
      .optional()
  })
  .strict();

/** Measured numbers for the cost model. */
export type Measurements = z.infer<typeof measurementsSchema>;
