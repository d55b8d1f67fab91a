import fs from 'fs';
import os from 'os';
import path from 'path';
import { measuredBandwidth, recordBandwidth, BANDWIDTH_WINDOW } from '../../src/targets/bandwidthLog';
import { CachedCpuProbe, CPU_PROBE_TTL_MS, runCpuProbe } from '../../src/targets/cpuProbe';
import { listGpus, parseNvidiaSmi } from '../../src/targets/gpus';
import { MachineInfoCollector } from '../../src/targets/machineInfo';
import { moduleMismatches } from '../../src/targets/targetLister';
import { networkReason } from '../../src/targets/targetProbe';

let dataDir: string;
beforeEach(() => (dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elastic-units-'))));
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('GPUs', () => {
  test('nvidia-smi lines, memory in MiB or GiB', () => {
    expect(parseNvidiaSmi('Tesla T4, 15360 MiB\nNVIDIA A100-SXM4-80GB, 80 GiB\n\nodd, unknown\n')).toEqual([
      { name: 'Tesla T4', memoryBytes: 15360 * 1024 ** 2 },
      { name: 'NVIDIA A100-SXM4-80GB', memoryBytes: 80 * 1024 ** 3 },
      { name: 'odd', memoryBytes: null }
    ]);
  });

  test('no nvidia-smi: no GPU, no failure', async () => {
    expect(await listGpus('/nonexistent/nvidia-smi')).toEqual([]);
    expect(await listGpus('false')).toEqual([]);
  });
});

describe('CPU probe', () => {
  test('a positive score; the cache runs the probe again only after its time', () => {
    const probe = runCpuProbe();
    expect(probe.score).toBeGreaterThan(0);
    expect(probe.ms).toBeGreaterThan(0);
    let now = 0;
    let runs = 0;
    const cached = new CachedCpuProbe(
      () => ({ score: ++runs, ms: 1, checksum: 0 }),
      () => now
    );
    expect(cached.get().score).toBe(1);
    now = CPU_PROBE_TTL_MS;
    expect(cached.get().score).toBe(1);
    now = CPU_PROBE_TTL_MS + 1;
    expect(cached.get().score).toBe(2);
  });
});

describe('bandwidth log', () => {
  test('nothing measured: null; then the median of the recent transfers to that target', async () => {
    expect(await measuredBandwidth(dataDir, 'gpu box')).toBeNull();
    await recordBandwidth(dataDir, 'gpu box', 1000, 1000); // 1 kB/s
    await recordBandwidth(dataDir, 'gpu box', 4000, 1000);
    await recordBandwidth(dataDir, 'gpu box', 3000, 1000);
    await recordBandwidth(dataDir, 'other', 1, 1);
    expect(await measuredBandwidth(dataDir, 'gpu box')).toBe(3000);
    const file = JSON.parse(fs.readFileSync(path.join(dataDir, 'bandwidth.json'), 'utf8'));
    expect(Object.keys(file.observations).sort()).toEqual(['transfer:gpu box', 'transfer:other']);
  });

  test('only the last window is kept; nonsense is ignored; a damaged file is nothing measured', async () => {
    await Promise.all(Array.from({ length: BANDWIDTH_WINDOW + 5 }, (_, i) => recordBandwidth(dataDir, 't', i + 1, 1)));
    await recordBandwidth(dataDir, 't', -1, 1);
    await recordBandwidth(dataDir, 't', 1, 0);
    const file = JSON.parse(fs.readFileSync(path.join(dataDir, 'bandwidth.json'), 'utf8'));
    expect(file.observations['transfer:t'].map((o: number[]) => o[0])).toEqual(
      Array.from({ length: BANDWIDTH_WINDOW }, (_, i) => i + 6)
    );
    fs.writeFileSync(path.join(dataDir, 'bandwidth.json'), '{damaged');
    expect(await measuredBandwidth(dataDir, 't')).toBeNull();
  });
});

describe('module mismatches', () => {
  test('a differing version, and a module missing on either side', () => {
    expect(
      moduleMismatches(
        ['numpy', 'pandas', 'sklearn', 'onlyhere'],
        { numpy: '2.1.0', pandas: '2.2.0', sklearn: '1.5.0', onlyhere: 'unknown' },
        { numpy: '2.1.0', pandas: '2.1.0', sklearn: null }
      )
    ).toEqual([
      { module: 'pandas', here: '2.2.0', there: '2.1.0' },
      { module: 'sklearn', here: '1.5.0', there: null },
      { module: 'onlyhere', here: 'unknown', there: null }
    ]);
  });
});

describe('network reasons', () => {
  test('in a few words', () => {
    expect(networkReason({ name: 'TimeoutError' }, 5000)).toBe('timed out after 5 s');
    expect(networkReason({ name: 'TypeError', cause: { code: 'ECONNREFUSED' } }, 5000)).toBe('connection refused');
    expect(networkReason({ name: 'TypeError', cause: { code: 'ENOTFOUND' } }, 5000)).toBe('host not found');
    expect(networkReason({ name: 'TypeError', cause: { code: 'CERT_HAS_EXPIRED' } }, 5000)).toBe('CERT_HAS_EXPIRED');
    expect(networkReason({ name: 'TypeError', cause: { message: 'bad port' } }, 5000)).toBe(
      'port refused by the HTTP client as unsafe (choose another port)'
    );
  });
});

describe('machine facts', () => {
  test('of this machine, with the Python asked and its failure tolerated', async () => {
    const asked: string[][] = [];
    const facts = await new MachineInfoCollector({
      dataDir,
      gpus: async () => [{ name: 'Fake GPU', memoryBytes: 1 }],
      python: async modules => {
        asked.push(modules);
        return { version: '3.12.1', executable: '/usr/bin/python3', modules: { numpy: '2.0.0' } };
      }
    }).collect(['numpy', 'absent']);
    expect(asked).toEqual([['numpy', 'absent']]);
    expect(facts).toMatchObject({
      hostname: os.hostname(),
      cpus: os.availableParallelism(),
      disk: { path: dataDir, freeBytes: expect.any(Number) },
      gpus: [{ name: 'Fake GPU', memoryBytes: 1 }],
      python: { version: '3.12.1', executable: '/usr/bin/python3' },
      modules: { numpy: '2.0.0', absent: null }
    });
    expect(facts.disk.freeBytes).toBeGreaterThan(0);
    const warnings: string[] = [];
    const collector = new MachineInfoCollector({
      dataDir,
      gpus: async () => [],
      warn: m => warnings.push(m),
      python: () => Promise.reject(new Error('no Jupyter'))
    });
    const failing = await collector.collect(['numpy']);
    await collector.collect(['numpy']); // warned once only
    expect(failing.python).toBeNull();
    expect(failing.modules).toEqual({ numpy: null });
    expect(warnings).toEqual(["elastic-notebook: cannot ask the Jupyter server's Python: no Jupyter"]);
  });
});
