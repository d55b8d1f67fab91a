/**
 * Wire targets for the targets specs. Not a spec (jest runs `*.spec.ts(x)` only).
 */
import type { MachineInfo, Target } from '@elastic-notebook/protocol';

/** A machine's facts. */
export function machine(fields: Partial<MachineInfo> = {}): MachineInfo {
  return {
    version: '0.1.0',
    hostname: 'box',
    platform: 'linux',
    cpus: 8,
    memory: { totalBytes: 16e9, freeBytes: 8e9 },
    disk: { path: '/data', freeBytes: 100e9 },
    gpus: [],
    python: { version: '3.11.7', executable: '/venv/bin/python' },
    modules: {},
    cpuScore: 100,
    cpuProbeMs: 20,
    ...fields
  };
}

/** A reachable Jupyter target. */
export function target(name: string, fields: Partial<Target> = {}): Target {
  return {
    name,
    kind: 'jupyter',
    url: `http://${name}.example:8888/`,
    origin: 'config',
    removable: false,
    reachable: true,
    reason: null,
    versionMatch: true,
    machine: machine(),
    moduleMismatches: [],
    relativeCpuSpeed: 1.5,
    bandwidthBytesPerSec: 100e6,
    bandwidthSource: 'probe',
    ...fields
  };
}

/** This machine, as listed first. */
export const thisMachine = (): Target =>
  target('this machine', {
    kind: 'local',
    url: '',
    relativeCpuSpeed: 1,
    bandwidthBytesPerSec: null,
    bandwidthSource: null
  });

/** An unreachable target. */
export const unreachable = (name: string, reason: string): Target =>
  target(name, {
    reachable: false,
    reason,
    versionMatch: null,
    machine: null,
    relativeCpuSpeed: null,
    bandwidthBytesPerSec: null,
    bandwidthSource: null
  });
