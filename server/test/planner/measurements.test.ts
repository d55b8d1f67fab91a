/**
 * The throughput meter's robust estimates: medians over a bounded window per (kind, target, size
 * class), a default that one cold transfer cannot overturn, latency apart from bandwidth, targets
 * kept apart, and the first file format still read.
 */
import {
  copyMigrateMs,
  costModel,
  DEFAULT_THROUGHPUTS,
  median,
  MIN_SAMPLES,
  operationMs,
  robust,
  sizeClass,
  ThroughputMeter,
  WINDOW
} from '../../src/planner/index';

const MB = 1e6;

describe('robust', () => {
  it('is the median once there are enough values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(robust([1e9, 1e9, 1e9, 1e9, 1e7], 5e8)).toBe(1e9);
  });

  it('leans on the prior below MIN_SAMPLES: one value 10x off moves the estimate by its cube root', () => {
    expect(MIN_SAMPLES).toBe(3);
    const moved = robust([1e8], 1e9);
    expect(moved).toBeCloseTo(1e9 / Math.cbrt(10), -3);
    expect(1e9 / moved).toBeLessThan(2.2);
  });
});

describe('ThroughputMeter', () => {
  it('one slow (cold) transfer among steady ones does not move the estimate', () => {
    const meter = new ThroughputMeter();
    for (let i = 0; i < 6; i++) {
      meter.record('deserialize', 'host', 10 * MB, 10); // 1 GB/s
    }
    const steady = meter.throughput('deserialize', 'host').bytesPerSec[1];
    meter.record('deserialize', 'host', 10.4 * MB, 557); // the cold load the issue saw
    const after = meter.throughput('deserialize', 'host').bytesPerSec[1];
    expect(after / steady).toBeGreaterThan(0.9);
    expect(after / steady).toBeLessThanOrEqual(1);
    // A group of 10 MB is still priced about 10 ms, not 557.
    const model = costModel('balanced', meter.measurements('host', 'local'));
    expect(operationMs(model, 'deserialize', 10 * MB)).toBeLessThan(20);
  });

  it("the fixed work of small object-heavy states does not price a large state's", () => {
    const meter = new ThroughputMeter();
    for (let i = 0; i < 3; i++) {
      meter.record('restore', 'local', 3.3 * MB, 146); // a few MB of objects: slow hashing per byte
      meter.record('read', 'local', 3.3 * MB, 146);
    }
    const fixed = meter.throughput('restore', 'local');
    expect(fixed.bytesPerSec[2]).toBeCloseTo(DEFAULT_THROUGHPUTS.restore.bytesPerSec[2], -3);
    expect(fixed.rateSamples[2]).toBe(0);
    // Transfers still borrow the neighbouring class (a slow store is slow for large files too).
    expect(meter.throughput('read', 'local').bytesPerSec[2]).toBeLessThan(DEFAULT_THROUGHPUTS.read.bytesPerSec[2] / 10);
    const model = costModel('balanced', meter.measurements('host', 'local'));
    expect(operationMs(model, 'restore', 172 * MB)).toBeLessThan(200);
  });

  it('a first cold transfer moves a default at most ~2x, and three steady ones replace it', () => {
    const meter = new ThroughputMeter();
    const cold = DEFAULT_THROUGHPUTS.write.bytesPerSec[2] / 16;
    meter.record('write', 'local', 640 * MB, (1000 * 640 * MB) / cold); // once, 16x below the default
    const first = meter.throughput('write', 'local').bytesPerSec[2];
    expect(DEFAULT_THROUGHPUTS.write.bytesPerSec[2] / first).toBeLessThan(2.6);
    for (let i = 0; i < 3; i++) {
      meter.record('write', 'local', 640 * MB, 1_000); // 640 MB/s
    }
    const t = meter.throughput('write', 'local');
    expect(t.bytesPerSec[2]).toBeGreaterThan(600 * MB);
    expect(t.rateSamples[2]).toBe(4);
  });

  it('keeps a bounded window: old observations give way to recent ones', () => {
    const meter = new ThroughputMeter();
    for (let i = 0; i < WINDOW; i++) {
      meter.record('read', 's3://b', 100 * MB, 1000); // 100 MB/s
    }
    for (let i = 0; i < WINDOW; i++) {
      meter.record('read', 's3://b', 100 * MB, 100); // 1 GB/s
    }
    expect(meter.throughput('read', 's3://b').bytesPerSec[2]).toBeGreaterThan(900 * MB);
    expect(meter.toJSON().observations).toHaveLength(WINDOW);
  });

  it('prices small operations by latency and large ones by bandwidth (size classes)', () => {
    expect([sizeClass(999_999), sizeClass(MB), sizeClass(64 * MB - 1), sizeClass(64 * MB)]).toEqual([0, 1, 1, 2]);
    const meter = new ThroughputMeter();
    for (let i = 0; i < 5; i++) {
      meter.record('write', 's3://host/b', 10_000, 25); // 25 ms per small request
      meter.record('write', 's3://host/b', 10 * MB, 25 + 100); // 100 MB/s beyond the latency
      meter.record('write', 's3://host/b', 200 * MB, 25 + 1000); // 200 MB/s for large ones
    }
    const t = meter.throughput('write', 's3://host/b');
    expect(t.latencyMs).toBeCloseTo(25, 0);
    expect(t.bytesPerSec[1] / (100 * MB)).toBeCloseTo(1, 1);
    expect(t.bytesPerSec[2] / (200 * MB)).toBeCloseTo(1, 1);
    const model = costModel('balanced', meter.measurements('host', 's3://host/b'));
    // A 10 kB group costs the latency, a 10 MB group latency + 100 ms, 200 MB latency + 1 s.
    expect(operationMs(model, 'write', 10_000)).toBeCloseTo(25, -1);
    expect(operationMs(model, 'write', 10 * MB)).toBeCloseTo(125, -1);
    expect(operationMs(model, 'write', 200 * MB) / 1025).toBeCloseTo(1, 1);
  });

  it('a batch of operations is classed by its per-operation size and net of each latency', () => {
    const meter = new ThroughputMeter();
    for (let i = 0; i < 3; i++) {
      meter.record('serialize', 'h', 100, 20, 10); // ten tiny groups, 2 ms each
      meter.record('serialize', 'h', 10 * 10 * MB, 10 * (2 + 10), 10); // ten 10 MB groups at 1 GB/s
    }
    const t = meter.throughput('serialize', 'h');
    expect(t.latencyMs).toBeCloseTo(2, 1);
    expect(t.bytesPerSec[1] / 1e9).toBeCloseTo(1, 1);
  });

  it('loading large groups (array memory read into place) never borrows the rate of groups of a few MB', () => {
    const meter = new ThroughputMeter();
    for (let i = 0; i < 5; i++) {
      meter.record('deserialize', 'host', 200 * MB, 140, 11); // 18 MB groups of models and frames: 1.4 GB/s
      meter.record('serialize', 'host', 200 * MB, 100, 11);
    }
    const load = meter.throughput('deserialize', 'host');
    expect(load.bytesPerSec[1] / 1e9).toBeCloseTo(1.4, 0);
    expect(load.bytesPerSec[2] / DEFAULT_THROUGHPUTS.deserialize.bytesPerSec[2]).toBeCloseTo(1, 6);
    expect(load.rateSamples).toEqual([5, 5, 0]);
    // Pickling moves buffers whatever the group: its large class borrows as transfers do.
    expect(meter.throughput('serialize', 'host').rateSamples[2]).toBe(5);
  });

  it('falls back to the neighbouring class when a class has too few observations', () => {
    const meter = new ThroughputMeter();
    for (let i = 0; i < 4; i++) {
      meter.record('read', 'local', 10 * MB, 5); // 2 GB/s in the 1-64 MB class only
    }
    const t = meter.throughput('read', 'local');
    expect(t.rateSamples).toEqual([4, 4, 4]);
    expect(t.bytesPerSec[2] / t.bytesPerSec[1]).toBeCloseTo(1, 1);
  });

  it('keeps stores and machines apart', () => {
    const meter = new ThroughputMeter();
    for (let i = 0; i < 3; i++) {
      meter.record('write', 'local', 100 * MB, 200); // 500 MB/s
      meter.record('write', 's3://minio:9000/bucket', 100 * MB, 2000); // 50 MB/s
      meter.record('serialize', 'big-vm', 100 * MB, 20);
    }
    const local = costModel('balanced', meter.measurements('big-vm', 'local'));
    const s3 = costModel('balanced', meter.measurements('big-vm', 's3://minio:9000/bucket'));
    const other = costModel('balanced', meter.measurements('laptop', 's3://aws-bucket'));
    expect(local.writeBytesPerSec / s3.writeBytesPerSec).toBeGreaterThan(8);
    expect(other.writeBytesPerSec).toBe(DEFAULT_THROUGHPUTS.write.bytesPerSec[2]);
    expect(other.serializeBytesPerSec).toBe(DEFAULT_THROUGHPUTS.serialize.bytesPerSec[2]);
    expect(copyMigrateMs(s3, 100 * MB)).toBeGreaterThan(5 * copyMigrateMs(local, 100 * MB));
    expect(local.measured.sort()).toEqual(['serializeBytesPerSec', 'writeBytesPerSec']);
    expect(other.measured).toEqual([]);
  });

  it('reads the first file format (a bare list) and skips damaged entries', () => {
    const old = [
      ['write', 's3://b', 100 * MB, 1000],
      ['deserialize', 'host', 20 * MB, 10],
      ['write', 's3://b', -5, 1],
      ['bogus', 'x', 1, 1],
      'junk'
    ];
    const meter = ThroughputMeter.fromJSON(JSON.parse(JSON.stringify(old)));
    expect(meter.toJSON().observations).toEqual([
      ['write', 's3://b', 100 * MB, 1000, 1],
      ['deserialize', 'host', 20 * MB, 10, 1]
    ]);
    const again = ThroughputMeter.fromJSON(JSON.parse(JSON.stringify(meter.toJSON())));
    expect(again.toJSON()).toEqual(meter.toJSON());
    expect(ThroughputMeter.fromJSON({ not: 'a log' }).toJSON().observations).toEqual([]);
    expect(ThroughputMeter.fromJSON(null).toJSON().observations).toEqual([]);
    expect(() => meter.record('read', 'x', -1, 5)).toThrow('finite bytes');
  });

  it('feeds costModel, which round-trips through a plan (the restore replans with it)', () => {
    const meter = new ThroughputMeter();
    for (let i = 0; i < 3; i++) {
      meter.record('read', 't', 10 * MB, 100);
      meter.record('rerun', 's', 0, 12, 4);
    }
    const model = costModel('balanced', meter.measurements('s', 't'));
    expect(model.measured.sort()).toEqual(['readBytesPerSec', 'rerunLatencyMs']);
    expect(model.rerunLatencyMs).toBeCloseTo(3, 5);
    const { weights: _w, measured: _m, ...numbers } = JSON.parse(JSON.stringify(model));
    // Given back whole (targetSpeed included, so it now counts as given), it is the same model.
    const again = costModel('balanced', numbers);
    expect({ ...again, measured: [...again.measured].sort() }).toEqual({
      ...model,
      measured: [...model.measured, 'targetSpeed'].sort()
    });
  });
});

describe('defaults per store', () => {
  test('a local folder reads nothing when fetching (the kernel reads while loading); S3 transfers do', () => {
    const local = costModel('balanced', { store: 'local' });
    const s3 = costModel('balanced', { store: 's3://127.0.0.1:9000/bucket' });
    expect(operationMs(local, 'read', 172 * MB)).toBeLessThan(10);
    expect(operationMs(s3, 'read', 172 * MB)).toBeCloseTo(
      DEFAULT_THROUGHPUTS.read.latencyMs + (1000 * 172 * MB) / DEFAULT_THROUGHPUTS.read.bytesPerSec[2],
      6
    );
    // Loading is priced the same whatever the store.
    expect(operationMs(local, 'deserialize', 172 * MB)).toBe(operationMs(s3, 'deserialize', 172 * MB));
  });

  test("the meter's prior for a local folder's reads is that default too", () => {
    const meter = new ThroughputMeter();
    meter.record('read', 'local', 200 * MB, 5, 1);
    const fromMeter = costModel('balanced', meter.measurements('vm', 'local'));
    // One observation with the prior counted twice: the geometric mean stays near both.
    expect(fromMeter.throughputs.read.bytesPerSec[2]).toBeGreaterThan(20e9);
  });
});

describe('first imports', () => {
  test('the time per module is all import time over all modules loaded, kept per machine, the default weighed in at first', () => {
    const meter = new ThroughputMeter();
    meter.record('import', 'vm', 1000, 1200); // one cold restore: 1.2 ms per module
    const one = costModel('balanced', meter.measurements('vm', 'local'));
    expect(one.importSamples).toBe(1);
    expect(one.importMsPerModule).toBeGreaterThan(0.8);
    expect(one.importMsPerModule).toBeLessThan(1.2);
    meter.record('import', 'vm', 500, 250);
    meter.record('import', 'vm', 2000, 1000);
    const three = costModel('balanced', meter.measurements('vm', 'local'));
    expect(three.importMsPerModule).toBeCloseTo(2450 / 3500, 6);
    expect(three.measured).toContain('importMsPerModule');
    // A restore that loaded a few modules almost for free does not make scikit-learn's 1400 cheap.
    meter.record('import', 'vm', 100, 5);
    expect(costModel('balanced', meter.measurements('vm', 'local')).importMsPerModule).toBeCloseTo(2455 / 3600, 6);
    // Another machine's imports say nothing of this one's.
    expect(costModel('balanced', meter.measurements('other', 'local')).importMsPerModule).toBe(0.8);
    expect(ThroughputMeter.fromJSON(meter.toJSON()).importPerModule('vm').ms).toBeCloseTo(2455 / 3600, 6);
  });
});
