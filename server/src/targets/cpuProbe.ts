/**
 * A short CPU-bound probe, so that targets can be compared by speed (`relativeCpuSpeed`): fixed
 * integer and floating-point work in plain JavaScript (no hashing instruction or library the
 * machines may differ by), timed over a few short rounds, the fastest kept. Its result is cached
 * for a few minutes: a listing of targets runs it on every machine.
 */
import { performance } from 'perf_hooks';

/** A probe's result. */
export interface ICpuProbe {
  /** Rounds of the fixed work per second of the fastest round: higher is faster. */
  score: number;
  /** How long the whole probe took, ms. */
  ms: number;
  /** The work's result (kept so that the work is not optimised away). */
  checksum: number;
}

/** Work of one round: about 5-15 ms on a current core. */
const ROUND_ITERATIONS = 400_000;
const ROUNDS = 3;

/** One round of fixed work; returns a value so that nothing is optimised away. */
function round(): number {
  let x = 0x9e3779b9 | 0;
  let f = 1.000001;
  for (let i = 0; i < ROUND_ITERATIONS; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    f = f * 1.0000001 + (x & 0xff) * 1e-9;
  }
  return x + f;
}

/** Run the probe now (well under 100 ms). */
export function runCpuProbe(): ICpuProbe {
  const start = performance.now();
  let best = Infinity;
  let checksum = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    checksum += round();
    best = Math.min(best, performance.now() - t0);
  }
  const ms = performance.now() - start;
  // A clock too coarse to time a round still gives a finite positive score.
  return { score: 1000 / Math.max(best, 0.001), ms, checksum };
}

/** How long a probe's result is reused. */
export const CPU_PROBE_TTL_MS = 5 * 60_000;

/** The probe's result, run at most once per {@link CPU_PROBE_TTL_MS}. */
export class CachedCpuProbe {
  private last: { at: number; probe: ICpuProbe } | null = null;

  constructor(
    private readonly run: () => ICpuProbe = runCpuProbe,
    private readonly now: () => number = Date.now
  ) {}

  /** The last result if recent enough, else a new one. */
  get(): ICpuProbe {
    const now = this.now();
    if (!this.last || now - this.last.at > CPU_PROBE_TTL_MS) {
      this.last = { at: now, probe: this.run() };
    }
    return this.last.probe;
  }
}
