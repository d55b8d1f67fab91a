/**
 * The plan footnote's text (src/plan/planFootnote.ts): numbers in words with their provenance, never
 * raw field names, from what the planner really reports.
 */
import { describeModel } from '../../src/planner/explain';
import { costModel, ThroughputMeter } from '../../src/planner/index';
import { formatRate, pricedWith, storeName } from '../../../src/plan/planFootnote';

const MB = 1e6;

describe('plan footnote', () => {
  test('a default-only plan says so and names no field', () => {
    const text = pricedWith(describeModel(costModel('balanced')));
    expect(text).toMatch(
      /^Priced with default numbers until checkpoints and restores have been measured: pickling 4 GB\/s \(default\)/
    );
    expect(text).toContain('writing to the store 600 MB/s (default)');
    expect(text).toContain('loading 3 GB/s (default), 1.5 GB/s for groups under 64 MB (default)');
    expect(text).toContain('re-running cells at their recorded time plus 3 ms each (default)');
    expect(text).toContain('importing libraries again 0.8 ms per module (default)');
    expect(text).toContain('hashing arrays to verify them 10 GB/s (default)');
    expect(text).not.toMatch(/BytesPerSec|LatencyMs|[a-z][A-Z]/);
  });

  test('measured numbers say on how many transfers they rest, per store', () => {
    const meter = new ThroughputMeter();
    for (let i = 0; i < 12; i++) {
      meter.record('write', 'local', 800 * MB, 1000);
    }
    meter.record('serialize', 'host', 120 * MB, 100);
    for (let i = 0; i < 3; i++) {
      meter.record('checkpoint', 'local', 1000, 45);
      meter.record('import', 'host', 1500, 900 + 30 * i); // modules loaded, ms
      meter.record('hash', 'host', 2e9, 150);
    }
    const text = pricedWith(describeModel(costModel('balanced', meter.measurements('host', 'local'))));
    expect(text).toMatch(/^Priced with: pickling 2\.\d+ GB\/s \(1 group weighed with the default\)/);
    expect(text).toMatch(/writing to the local folder 8\d\d MB\/s \(median of 12 transfers\)/);
    expect(text).toContain('reading from the local folder 50 GB/s (default)'); // a local fetch only checks sizes
    expect(text).toContain('45 ms of fixed work per checkpoint (median of 3 checkpoints)');
    expect(text).toContain('of fixed work per restore (default)');
    expect(text).toContain('importing libraries again 0.6 ms per module (median of 3 restores)');
    expect(text).toContain('hashing arrays to verify them 13.3 GB/s (median of 3 fingerprints)');
    expect(text).not.toMatch(/BytesPerSec|LatencyMs/);
  });

  test('S3 stores are named; a 1-64 MB number far from the large one is shown too; old plans still read', () => {
    expect(storeName('s3://minio:9000/bucket')).toBe('S3 (minio:9000/bucket)');
    const meter = new ThroughputMeter();
    for (let i = 0; i < 4; i++) {
      meter.record('read', 's3://minio:9000/bucket', 10 * MB, 100); // 100 MB/s
      meter.record('read', 's3://minio:9000/bucket', 100 * MB, 250); // 400 MB/s
    }
    const text = pricedWith(describeModel(costModel('balanced', meter.measurements('host', 's3://minio:9000/bucket'))));
    expect(text).toMatch(
      /reading from S3 \(minio:9000\/bucket\) 40\d MB\/s \(median of 4 transfers\), 10\d MB\/s for groups under 64 MB \(median of 4 transfers\)/
    );
    // A plan from before per-class numbers: flat fields and the measured list.
    const old = pricedWith({ measured: ['writeBytesPerSec'], writeBytesPerSec: 5e8, serializeBytesPerSec: 2e9 });
    expect(old).toBe('Priced with: pickling 2 GB/s (default), writing to the store 500 MB/s (measured).');
    expect(formatRate(1.234e9)).toBe('1.23 GB/s');
    expect(formatRate(812e6)).toBe('812 MB/s');
  });

  test("a migration's plan says what it was priced with for the target", () => {
    const text = pricedWith(describeModel(costModel('balanced', { transferBytesPerSec: 12.5e6, targetSpeed: 0.5 })));
    expect(text).toContain('sending to the target 12.5 MB/s (measured for the target)');
    expect(text).toContain('re-running cells at 0.5x the recorded speed');
    expect(pricedWith(describeModel(costModel('balanced')))).not.toContain('sending to the target');
  });
});
