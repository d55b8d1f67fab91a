import type { Target } from '@elastic-notebook/protocol';
import { formatTarget } from '../../src/cli/commands/targets';

const reachable: Target = {
  name: 'gpu box',
  kind: 'jupyter',
  url: 'http://gpu:8888/',
  origin: 'config',
  removable: false,
  reachable: true,
  reason: null,
  versionMatch: false,
  machine: {
    version: '0.2.0',
    hostname: 'gpu',
    platform: 'linux',
    cpus: 32,
    memory: { totalBytes: 64 * 1024 ** 3, freeBytes: 32 * 1024 ** 3 },
    disk: { path: '/data', freeBytes: 500 * 1024 ** 3 },
    gpus: [{ name: 'Tesla T4', memoryBytes: 16 * 1024 ** 3 }],
    python: { version: '3.12.1', executable: '/usr/bin/python3' },
    modules: { pandas: '2.1.0' },
    cpuScore: 200,
    cpuProbeMs: 20
  },
  moduleMismatches: [
    { module: 'pandas', here: '2.2.0', there: '2.1.0' },
    { module: 'sklearn', here: '1.5.0', there: null }
  ],
  relativeCpuSpeed: 2,
  bandwidthBytesPerSec: 100 * 1024 ** 2,
  bandwidthSource: 'measured'
};

describe('targets: one line per target', () => {
  test('a reachable target with its key facts', () => {
    const line = formatTarget(reachable);
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(
      /^gpu box {2}\[jupyter http:\/\/gpu:8888\/\] {2}reachable {2}v0\.2\.0 \(version differs\), 32 CPUs, /
    );
    expect(line).toContain('GPU Tesla T4');
    expect(line).toContain('Python 3.12.1');
    expect(line).toContain('CPU speed x2.00');
    expect(line).toContain('(measured)');
    expect(line).toContain('modules differ: pandas 2.2.0 here, 2.1.0 there; sklearn 1.5.0 here, missing there');
  });

  test('an unreachable one with its reason', () => {
    expect(
      formatTarget({ ...reachable, reachable: false, reason: 'connection refused', machine: null, name: 'down' })
    ).toBe('down  [jupyter http://gpu:8888/]  unreachable: connection refused');
  });
});
