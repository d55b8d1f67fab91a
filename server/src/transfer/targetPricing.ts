/**
 * Pricing a migration's plan for its target (issue 11): the plan copies a group only when
 * serializing, sending and loading it beats re-running its cells there, so the copy is priced with
 * the bandwidth to the target and a re-run with the target's CPU speed relative to this machine.
 * Numbers given in the request win; otherwise the bandwidth is the median of earlier transfers to
 * that target (bandwidthLog.ts), else a small probe's, and the CPU ratio compares the target's CPU
 * probe (its `GET /api/machine`) with this machine's. A number that cannot be had is left out (the
 * plan then prices no transfer, or the same speed) and the job says so.
 */
import type { ITargetPricing, Measurements } from '@elastic-notebook/protocol/schemas';
import { formatBytes } from '@elastic-notebook/protocol';
import { measuredBandwidth } from '../targets/bandwidthLog';
import { CachedCpuProbe, ICpuProbe } from '../targets/cpuProbe';
import { probeBandwidth, probeMachine } from '../targets/targetProbe';
import type { ITarget } from './targets';

/** How long each probe of the target may take. */
export const PRICING_PROBE_TIMEOUT_MS = 10_000;

/** Numbers given in the migrate request. */
export interface IGivenPricing {
  bandwidthBytesPerS?: number;
  cpuRatio?: number;
}

/** What pricing is resolved with (the defaults probe for real; tests inject their own). */
export interface IPricingSources {
  /** The companion's data folder (its bandwidth log). */
  dataDir: string;
  /** This machine's CPU probe. */
  localCpu?: () => ICpuProbe;
  /** The target's CPU score, or null when its machine route cannot be asked. */
  targetCpuScore?: (target: ITarget) => Promise<number | null>;
  /** A bandwidth probe of the target, bytes/s, or null. */
  probeBandwidth?: (target: ITarget) => Promise<number | null>;
}

const localProbe = new CachedCpuProbe();

/** The target's CPU score from its machine route. */
async function remoteCpuScore(target: ITarget): Promise<number | null> {
  const probed = await probeMachine(target.url, target.token, [], PRICING_PROBE_TIMEOUT_MS);
  return probed.ok ? probed.value.cpuScore : null;
}

/** Resolve the numbers a migration to `target` is priced with. */
export async function resolvePricing(
  target: ITarget,
  given: IGivenPricing | undefined,
  sources: IPricingSources
): Promise<ITargetPricing> {
  const bandwidth = async (): Promise<Pick<ITargetPricing, 'bandwidthBytesPerS' | 'bandwidthSource'>> => {
    if (given?.bandwidthBytesPerS !== undefined) {
      return { bandwidthBytesPerS: given.bandwidthBytesPerS, bandwidthSource: 'given' };
    }
    const measured = await measuredBandwidth(sources.dataDir, target.name);
    if (measured !== null) {
      return { bandwidthBytesPerS: measured, bandwidthSource: 'measured' };
    }
    const probe = sources.probeBandwidth ?? (t => probeBandwidth(t.url, t.token, PRICING_PROBE_TIMEOUT_MS));
    const probed = await probe(target);
    return probed !== null && probed > 0
      ? { bandwidthBytesPerS: probed, bandwidthSource: 'probe' }
      : { bandwidthBytesPerS: null, bandwidthSource: null };
  };
  const cpu = async (): Promise<Pick<ITargetPricing, 'cpuRatio' | 'cpuSource'>> => {
    if (given?.cpuRatio !== undefined) {
      return { cpuRatio: given.cpuRatio, cpuSource: 'given' };
    }
    const there = await (sources.targetCpuScore ?? remoteCpuScore)(target);
    const here = (sources.localCpu ?? (() => localProbe.get()))().score;
    return there !== null && there > 0 && here > 0
      ? { cpuRatio: there / here, cpuSource: 'probe' }
      : { cpuRatio: null, cpuSource: null };
  };
  // One after the other: the CPU probe of either machine must not share the cores with a transfer.
  const cpuPart = await cpu();
  return { ...(await bandwidth()), ...cpuPart };
}

/** The cost-model measurements of a pricing (its known numbers only). */
export function pricingMeasurements(pricing: ITargetPricing): Measurements {
  return {
    ...(pricing.bandwidthBytesPerS !== null ? { transferBytesPerSec: pricing.bandwidthBytesPerS } : {}),
    ...(pricing.cpuRatio !== null ? { targetSpeed: pricing.cpuRatio } : {})
  };
}

/** The pricing in words, for the job's steps: "12.5 MB/s (measured), CPU 0.8x this machine's (probe)". */
export function describePricing(pricing: ITargetPricing): string {
  const link =
    pricing.bandwidthBytesPerS !== null
      ? `sending at ${formatBytes(pricing.bandwidthBytesPerS)}/s (${pricing.bandwidthSource})`
      : 'bandwidth unknown (no transfer priced)';
  const cpu =
    pricing.cpuRatio !== null
      ? `re-running at ${Number(pricing.cpuRatio.toPrecision(2))}x this machine's CPU speed (${pricing.cpuSource})`
      : 'CPU speed unknown (re-runs priced at their recorded time)';
  return `${link}, ${cpu}`;
}
