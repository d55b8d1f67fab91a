/**
 * Resolving a migration's pricing for its target: numbers given in the request win, the bandwidth
 * is the median of earlier transfers to that target, else a probe's, and the CPU ratio compares
 * the target's CPU probe with this machine's; what cannot be had stays null and is left out of
 * the cost model.
 */
import { promises as fs } from 'fs';
import os from 'os';
import path from 'path';
import { recordBandwidth } from '../../src/targets/bandwidthLog';
import { describePricing, pricingMeasurements, resolvePricing } from '../../src/transfer/targetPricing';
import type { ITarget } from '../../src/transfer/targets';

const target: ITarget = { name: 'gpu-box', kind: 'jupyter', url: 'http://127.0.0.1:9/', token: 'secret' };
const localCpu = () => ({ score: 100, ms: 1, checksum: 0 });

describe('resolvePricing', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'en-pricing-'));
  });
  afterEach(async () => {
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('probes the bandwidth and both CPUs when nothing was measured', async () => {
    const probed: string[] = [];
    const pricing = await resolvePricing(target, undefined, {
      dataDir,
      localCpu,
      targetCpuScore: async t => (probed.push(`cpu ${t.name}`), 50),
      probeBandwidth: async t => (probed.push(`bandwidth ${t.name}`), 12.5e6)
    });
    expect(pricing).toEqual({
      bandwidthBytesPerS: 12.5e6,
      bandwidthSource: 'probe',
      cpuRatio: 0.5,
      cpuSource: 'probe'
    });
    expect(probed).toEqual(['cpu gpu-box', 'bandwidth gpu-box']);
    expect(pricingMeasurements(pricing)).toEqual({ transferBytesPerSec: 12.5e6, targetSpeed: 0.5 });
    expect(describePricing(pricing)).toBe(
      "sending at 12.5 MB/s (probe), re-running at 0.5x this machine's CPU speed (probe)"
    );
  });

  it('prefers what earlier transfers to the target measured over a probe', async () => {
    await recordBandwidth(dataDir, 'gpu-box', 100e6, 1000); // 100 MB/s
    await recordBandwidth(dataDir, 'other', 1e6, 1000);
    const pricing = await resolvePricing(target, undefined, {
      dataDir,
      localCpu,
      targetCpuScore: async () => 200,
      probeBandwidth: async () => {
        throw new Error('must not probe');
      }
    });
    expect(pricing).toMatchObject({ bandwidthBytesPerS: 100e6, bandwidthSource: 'measured', cpuRatio: 2 });
  });

  it('uses the numbers given in the request as they are', async () => {
    const pricing = await resolvePricing(
      target,
      { bandwidthBytesPerS: 1.25e6, cpuRatio: 3 },
      {
        dataDir,
        localCpu,
        targetCpuScore: async () => {
          throw new Error('must not probe');
        },
        probeBandwidth: async () => {
          throw new Error('must not probe');
        }
      }
    );
    expect(pricing).toEqual({ bandwidthBytesPerS: 1.25e6, bandwidthSource: 'given', cpuRatio: 3, cpuSource: 'given' });
  });

  it('leaves out what cannot be had: no transfer priced, the same CPU speed', async () => {
    const pricing = await resolvePricing(target, undefined, {
      dataDir,
      localCpu,
      targetCpuScore: async () => null,
      probeBandwidth: async () => null
    });
    expect(pricing).toEqual({ bandwidthBytesPerS: null, bandwidthSource: null, cpuRatio: null, cpuSource: null });
    expect(pricingMeasurements(pricing)).toEqual({});
    expect(describePricing(pricing)).toBe(
      'bandwidth unknown (no transfer priced), CPU speed unknown (re-runs priced at their recorded time)'
    );
  });

  it('probes a real target that is down as unknown, not as an error', async () => {
    const pricing = await resolvePricing(target, undefined, { dataDir, localCpu });
    expect(pricing.bandwidthBytesPerS).toBeNull();
    expect(pricing.cpuRatio).toBeNull();
  });
});
