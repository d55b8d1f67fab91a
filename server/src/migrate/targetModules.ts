/**
 * Before a migration checkpoints anything: can the target import what the session uses? The
 * target's machine route (`GET elastic-notebook/api/machine?modules=...`, its Jupyter server's
 * Python, as the target listing asks) says which of the session's modules it has. A module some
 * live variable needs (moduleNeeds.ts) that the target lacks fails the migration before anything
 * is created there, naming the module and the variables; a missing module no variable needs, and
 * versions that differ, are warned about in the job's steps.
 */
import type { MachineInfo } from '@elastic-notebook/protocol';
import path from 'path';
import type { HistoryGraph } from '../ahg/graph';
import type { HistoryStore } from '../ahg/store';
import { waitUntilStored } from '../companion/agentStatus';
import type { IKernelAccess } from '../companion/kernelAccess';
import type { IJobContext } from '../jobs/job';
import { moduleMismatches } from '../targets/targetLister';
import { MACHINE_PATH } from '../targets/targetProbe';
import { TargetClient, TargetError } from '../transfer/targetClient';
import { MigrationError } from './migrationError';
import { variablesByModule } from './moduleNeeds';

/** This machine's facts with some modules' versions (the companion's `MachineInfoCollector`). */
export interface IModuleVersions {
  /** `folder`: an absolute folder searched for modules too. */
  collect(modules: string[], folder?: string): Promise<MachineInfo>;
}

/** Where the session's notebook is: the kernel's working folder, whose modules it imports. */
export interface INotebookFolder {
  /** Relative to the Jupyter root, `/`-separated (`''`: the root); the same on the target. */
  relative: string;
  /** The absolute folder on this machine. */
  absolute: string;
}

/** The message for modules the target lacks, each with the variables that need it. */
export function missingModulesMessage(missing: Array<{ module: string; variables: string[] }>): string {
  const what = missing.map(m => `${m.module} (needed by ${m.variables.join(', ')})`).join('; ');
  const it = missing.length === 1 ? 'it' : 'them';
  return `the target cannot import ${missing.length === 1 ? 'module' : 'modules'} ${what}: install ${it} there first`;
}

/**
 * Compare the modules `graph`'s session uses with the target's; throws a {@link MigrationError}
 * naming the missing modules some variable needs. `here` gives this machine's versions for the
 * warnings (none: versions are not compared).
 */
export async function checkTargetModules(
  client: TargetClient,
  graph: HistoryGraph,
  context: IJobContext,
  folder: INotebookFolder,
  here?: IModuleVersions
): Promise<void> {
  const byModule = variablesByModule(graph);
  const loaded = graph.executions.flatMap(execution => execution.packagesLoaded);
  const modules = [...new Set([...byModule.keys(), ...loaded])].sort();
  if (modules.length === 0) {
    return;
  }
  let there: MachineInfo;
  try {
    const query = `modules=${encodeURIComponent(modules.join(','))}&folder=${encodeURIComponent(folder.relative)}`;
    there = await client.json<MachineInfo>(`${MACHINE_PATH}?${query}`, { signal: context.signal });
  } catch (err) {
    if (err instanceof TargetError && err.status !== 0 && err.status !== 401 && err.status !== 403) {
      context.step(`warning: cannot compare modules with ${client.label} (${err.message})`);
      return;
    }
    throw err;
  }
  if (!there.python) {
    context.step(`warning: ${client.label} cannot tell which modules its Python has; not compared`);
    return;
  }
  const absent = modules.filter(module => there.modules[module] === null);
  const needed = absent.filter(module => byModule.has(module));
  if (needed.length > 0) {
    throw new MigrationError(
      missingModulesMessage(needed.map(module => ({ module, variables: byModule.get(module)! })))
    );
  }
  for (const module of absent) {
    context.step(
      `warning: ${module} is not installed on ${client.label} (the session loaded it; no variable needs it)`
    );
  }
  const mine = here ? await here.collect(modules, folder.absolute).catch(() => null) : null;
  if (mine?.python) {
    const differ = moduleMismatches(modules, mine.modules, there.modules).filter(m => m.here && m.there);
    for (const { module, here: version, there: theirs } of differ) {
      context.step(`warning: ${module} ${version} here, ${theirs} on ${client.label}`);
    }
  }
}

/** What {@link checkSessionModules} needs from the companion. */
export interface ISessionModulesServices {
  history: HistoryStore;
  kernels: IKernelAccess;
  /** The Jupyter root (notebook paths are relative to it). */
  baseDir: string;
  ackTimeoutMs?: number;
  /** This machine's module versions, for the warnings. */
  machine?: IModuleVersions;
}

/** {@link checkTargetModules} for the kernel's session, once its every recorded execution is stored. */
export async function checkSessionModules(
  services: ISessionModulesServices,
  request: { kernelId: string; notebookPath: string },
  client: TargetClient,
  context: IJobContext
): Promise<void> {
  const { kernelId } = request;
  context.step(`comparing the session's modules with ${client.label}`);
  await waitUntilStored(services.kernels.channel(kernelId), services.history, kernelId, {
    timeoutMs: services.ackTimeoutMs,
    signal: context.signal
  });
  const run = await services.history.currentRun(kernelId);
  if (run) {
    const relative = request.notebookPath.split('/').slice(0, -1).join('/');
    const absolute = path.resolve(services.baseDir, ...relative.split('/').filter(Boolean));
    await checkTargetModules(client, run.graph, context, { relative, absolute }, services.machine);
  }
}
