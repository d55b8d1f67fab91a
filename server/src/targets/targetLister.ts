/**
 * The target listing (`GET /api/targets`): every target of the registry probed in parallel
 * within a timeout, compared with this machine (Elastic Notebook version, the modules the session
 * imported, CPU speed), with the bandwidth real transfers measured, or a small probe's when none
 * did. Nothing in it carries a token.
 */
import type { MachineInfo, ModuleMismatch, Target, TargetList } from '@elastic-notebook/protocol';
import { measuredBandwidth } from './bandwidthLog';
import type { MachineInfoCollector } from './machineInfo';
import { IHubServerState, probeBandwidth, probeHubServer, probeMachine, ProbeOutcome } from './targetProbe';
import type { IKnownTarget, TargetRegistry } from './targetRegistry';

/** How long one target's probe may take. */
export const PROBE_TIMEOUT_MS = 5000;

/** How long a bandwidth probe's result is reused. */
const BANDWIDTH_PROBE_TTL_MS = 10 * 60_000;

/** The modules whose versions differ between `here` and `there` (null: not installed). */
export function moduleMismatches(
  modules: string[],
  here: MachineInfo['modules'],
  there: MachineInfo['modules']
): ModuleMismatch[] {
  return modules
    .map(module => ({ module, here: here[module] ?? null, there: there[module] ?? null }))
    .filter(m => m.here !== m.there);
}

/** What a lister is built from. */
export interface ITargetListerOptions {
  registry: TargetRegistry;
  machine: MachineInfoCollector;
  dataDir: string;
  timeoutMs?: number;
}

/** Lists the targets with their facts. */
export class TargetLister {
  private readonly probedBandwidth = new Map<string, { at: number; bytesPerSec: number }>();

  constructor(private readonly options: ITargetListerOptions) {}

  /** Every target, probed; `modules` are the top-level modules to compare. */
  async list(modules: string[] = []): Promise<TargetList> {
    const [{ targets, invalid }, here] = await Promise.all([this.options.registry.snapshot(), this.here(modules)]);
    const listed = await Promise.all(targets.map(target => this.describe(target, here, modules)));
    const broken: Target[] = invalid.map(entry => ({
      ...blank(entry.name, entry.kind, '', entry.origin),
      removable: false,
      reason: entry.error,
      configError: entry.error
    }));
    return { targets: [...listed, ...broken] };
  }

  /** This machine's facts, with the versions of `modules`. */
  here(modules: string[]): Promise<MachineInfo> {
    return this.options.machine.collect(modules);
  }

  /** One target, probed (or this machine, as it is). */
  async describe(target: IKnownTarget, here: MachineInfo, modules: string[]): Promise<Target> {
    const { resolved, origin } = target;
    const base = blank(resolved.name, resolved.kind, resolved.url, origin);
    if (resolved.kind === 'local') {
      return { ...base, reachable: true, versionMatch: true, machine: here, relativeCpuSpeed: 1 };
    }
    const timeoutMs = this.options.timeoutMs ?? PROBE_TIMEOUT_MS;
    let serverUrl = resolved.url;
    if (resolved.kind === 'jupyterhub') {
      const hub = resolved.hub!;
      const state: ProbeOutcome<IHubServerState> = await probeHubServer(resolved, timeoutMs);
      if (!state.ok) {
        return { ...base, reason: state.reason, hub: { user: hub.user, server: hub.server, state: null } };
      }
      base.hub = { user: hub.user, server: hub.server, state: state.value.state };
      if (state.value.state !== 'running' || !state.value.url) {
        const reason = state.value.state === 'pending' ? 'starting on the Hub' : 'not running (started on migration)';
        return { ...base, reason };
      }
      serverUrl = state.value.url;
    }
    const probed = await probeMachine(serverUrl, resolved.token, modules, timeoutMs);
    if (!probed.ok) {
      return { ...base, reason: probed.reason };
    }
    const there = probed.value;
    const bandwidth = await this.bandwidth(resolved.name, serverUrl, resolved.token, timeoutMs);
    return {
      ...base,
      reachable: true,
      versionMatch: there.version === here.version,
      machine: there,
      moduleMismatches: moduleMismatches(modules, here.modules, there.modules),
      relativeCpuSpeed: there.cpuScore / here.cpuScore,
      ...bandwidth
    };
  }

  /** Measured bandwidth to the target, else a recent probe's, else a new probe's. */
  private async bandwidth(
    name: string,
    url: string,
    token: string,
    timeoutMs: number
  ): Promise<Pick<Target, 'bandwidthBytesPerSec' | 'bandwidthSource'>> {
    const measured = await measuredBandwidth(this.options.dataDir, name);
    if (measured !== null) {
      return { bandwidthBytesPerSec: measured, bandwidthSource: 'measured' };
    }
    const key = `${name}\u0000${url}`;
    const recent = this.probedBandwidth.get(key);
    if (recent && Date.now() - recent.at < BANDWIDTH_PROBE_TTL_MS) {
      return { bandwidthBytesPerSec: recent.bytesPerSec, bandwidthSource: 'probe' };
    }
    const probed = await probeBandwidth(url, token, timeoutMs);
    if (probed === null) {
      return { bandwidthBytesPerSec: null, bandwidthSource: null };
    }
    this.probedBandwidth.set(key, { at: Date.now(), bytesPerSec: probed });
    return { bandwidthBytesPerSec: probed, bandwidthSource: 'probe' };
  }
}

/** A target with nothing known yet (unreachable until a probe says otherwise). */
function blank(name: string, kind: Target['kind'], url: string, origin: Target['origin']): Target {
  return {
    name,
    kind,
    url,
    origin,
    removable: origin === 'panel',
    reachable: false,
    reason: null,
    versionMatch: null,
    machine: null,
    moduleMismatches: [],
    relativeCpuSpeed: null,
    bandwidthBytesPerSec: null,
    bandwidthSource: null
  };
}
