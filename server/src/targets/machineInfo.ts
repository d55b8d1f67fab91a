/**
 * The facts of this machine (`GET /api/machine`): CPUs, memory, free disk where the data is,
 * GPUs, the Jupyter server's Python and the versions of the modules asked about, and the speed
 * of a short CPU probe. A part that cannot be found is left empty; the facts never fail.
 */
import type { MachineInfo } from '@elastic-notebook/protocol';
import { promises as fs } from 'fs';
import os from 'os';
import { packageVersion } from '../version';
import { CachedCpuProbe } from './cpuProbe';
import { IGpu, listGpus } from './gpus';

/** What the Jupyter server's Python says about itself and the modules asked about. */
export interface IPythonInfo {
  version: string;
  executable: string;
  /** Module name -> its distribution's version (null when not installed). */
  modules: Record<string, string | null>;
}

/**
 * Asks the Jupyter server's Python (the server extension's `python-info` route); `folder`, an
 * absolute path, is searched for modules too (a notebook's folder is on its kernel's path).
 */
export type PythonInfoSource = (modules: string[], folder?: string) => Promise<IPythonInfo>;

/** What the facts are gathered with. */
export interface IMachineInfoOptions {
  /** The folder whose free space is reported (the companion's data folder). */
  dataDir: string;
  /** The Python to ask; without it `python` is null and every module unknown (null). */
  python?: PythonInfoSource | null;
  /** The GPUs (default: `nvidia-smi`). */
  gpus?: () => Promise<IGpu[]>;
  /** Where warnings go (a failing Python query). */
  warn?: (message: string) => void;
  /** The S3 store checkpoints go to (`s3://<endpoint host>/<bucket>`), null for a local folder. */
  checkpointStore?: string | null;
}

/** Free bytes for an unprivileged user on the file system holding `folder`, null when unknown. */
async function freeDisk(folder: string): Promise<number | null> {
  try {
    await fs.mkdir(folder, { recursive: true });
    const stats = await fs.statfs(folder);
    return stats.bavail * stats.bsize;
  } catch {
    return null;
  }
}

/** Gathers this machine's facts. */
export class MachineInfoCollector {
  private readonly cpu = new CachedCpuProbe();
  private readonly warned = new Set<string>();

  constructor(private readonly options: IMachineInfoOptions) {}

  /** The facts, with the versions of `modules` (top-level module names), also looked for in `folder`. */
  async collect(modules: string[] = [], folder?: string): Promise<MachineInfo> {
    const { dataDir, python, warn } = this.options;
    const [disk, gpus, pythonInfo] = await Promise.all([
      freeDisk(dataDir),
      (this.options.gpus ?? listGpus)().catch(() => []),
      python
        ? python(modules, folder).catch((err: Error) => {
            // Once per reason: every listing asks again.
            if (!this.warned.has(err.message)) {
              this.warned.add(err.message);
              warn?.(`elastic-notebook: cannot ask the Jupyter server's Python: ${err.message}`);
            }
            return null;
          })
        : Promise.resolve(null)
    ]);
    const probe = this.cpu.get();
    return {
      version: packageVersion(),
      hostname: os.hostname(),
      platform: os.platform(),
      arch: os.arch(),
      cpus: os.availableParallelism(),
      memory: { totalBytes: os.totalmem(), freeBytes: os.freemem() },
      disk: { path: dataDir, freeBytes: disk },
      gpus,
      python: pythonInfo ? { version: pythonInfo.version, executable: pythonInfo.executable } : null,
      modules: Object.fromEntries(modules.map(name => [name, pythonInfo?.modules[name] ?? null])),
      cpuScore: probe.score,
      cpuProbeMs: probe.ms,
      checkpointStore: this.options.checkpointStore ?? null
    };
  }
}
