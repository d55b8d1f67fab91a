/**
 * The machine's GPUs, from `nvidia-smi` when it is installed: none when it is absent, fails or
 * answers something unexpected (a listing never fails over a GPU query).
 */
import { execFile } from 'child_process';

/** One GPU. */
export interface IGpu {
  name: string;
  /** Its memory, when known. */
  memoryBytes: number | null;
}

/** How long `nvidia-smi` may take (it can hang on a wedged driver). */
const NVIDIA_SMI_TIMEOUT_MS = 3000;

/** Parse `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader` (`Tesla T4, 15360 MiB`). */
export function parseNvidiaSmi(output: string): IGpu[] {
  const units: Record<string, number> = { kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };
  return output
    .split('\n')
    .map(line => line.trim())
    .filter(Boolean)
    .map(line => {
      const comma = line.lastIndexOf(',');
      const name = (comma < 0 ? line : line.slice(0, comma)).trim();
      const memory = comma < 0 ? null : /^([\d.]+)\s*([KMG]iB)$/i.exec(line.slice(comma + 1).trim());
      return {
        name,
        memoryBytes: memory ? Math.round(Number(memory[1]) * units[memory[2].toLowerCase()]) : null
      };
    });
}

/** The GPUs `nvidia-smi` reports; `[]` without it. */
export function listGpus(command = 'nvidia-smi'): Promise<IGpu[]> {
  return new Promise(resolve => {
    execFile(
      command,
      ['--query-gpu=name,memory.total', '--format=csv,noheader'],
      { timeout: NVIDIA_SMI_TIMEOUT_MS, windowsHide: true },
      (error, stdout) => resolve(error ? [] : parseNvidiaSmi(String(stdout)))
    );
  });
}
