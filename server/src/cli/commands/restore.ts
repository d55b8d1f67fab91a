import { existsSync } from 'fs';
import path from 'path';
import { Command } from 'commander';
import { MeasurementLog, restoreObservations } from '../../migrate/measurementLog';
import { IRestoreKernel, IRestoreOutcome, restore } from '../../migrate/restore';
import { openBundleStore } from '../bundleStore';
import { CliError } from '../cliError';
import { kernelChannel } from '../kernelChannel';
import { INotebookFile, readNotebook } from '../notebook';
import {
  IAgentKernel,
  ICommandContext,
  IKeptKernel,
  ISessionOptions,
  keepKernel,
  openAgentKernel,
  openServer
} from '../notebookSession';
import { locateOnServer } from '../serverPath';
import { printResult } from '../output';
import { addSessionOptions } from './record';

/** Options of `restore`. */
export interface IRestoreOptions extends ISessionOptions {
  json?: boolean;
}

/** What `restore --json` prints. */
export type RestoreResult = Omit<IRestoreOutcome, 'kernel'> & { notebook: string | null } & Partial<IKeptKernel>;

/** Session path for a restore whose notebook is not on this machine (the server's root is the working directory). */
const STANDIN_PATH = 'elastic-notebook-restore.ipynb';

/** `restore BUNDLE`: start a fresh kernel and restore the checkpointed session into it. */
async function runRestore(bundle: string, options: IRestoreOptions, context: ICommandContext): Promise<void> {
  const { progress } = context;
  const store = await openBundleStore(bundle, context);
  progress.step(`reading ${store.uri}`);
  const manifest = await store.readManifest();
  // The kernel runs in the notebook's folder, as in JupyterLab, when the notebook is here too.
  let notebook: INotebookFile | null = null;
  if (manifest.notebook.path && existsSync(manifest.notebook.path)) {
    notebook = await readNotebook(manifest.notebook.path).catch(() => null);
  }
  if (!notebook) {
    progress.step(`the notebook ${manifest.notebook.path ?? ''} is not on this machine: restoring in ${process.cwd()}`);
  }
  const opened = await openServer(notebook ? path.dirname(notebook.path) : process.cwd(), options, context);
  const sessionPath = notebook
    ? opened.local
      ? path.basename(notebook.path)
      : await locateOnServer(opened.server, notebook)
    : STANDIN_PATH;
  let last: IAgentKernel | null = null;
  const openKernel = async (): Promise<IRestoreKernel> => {
    const kernel = await openAgentKernel(opened.server, sessionPath, manifest.notebook.kernelName, context);
    last = kernel;
    return {
      ...kernelChannel(kernel.session),
      startMs: kernel.startMs,
      bootstrapMs: kernel.bootstrapMs,
      close: async () => {
        kernel.forget();
        await kernel.session.shutdown();
      }
    };
  };
  const outcome = await restore({ store, openKernel, onStep: message => progress.step(message) });
  const measured = await MeasurementLog.open();
  measured.record(store.uri, restoreObservations(outcome));
  await measured.save();
  const { kernel: _kernel, ...rest } = outcome;
  const kept = options.keepKernel && last ? await keepKernel(last, opened) : null;
  const result: RestoreResult = { notebook: notebook?.path ?? null, ...rest, ...(kept ?? {}) };
  printResult(result, Boolean(options.json), formatRestore);
  if (!outcome.verification.ok) {
    const { differ, missing } = outcome.verification;
    throw new CliError(
      `restored, but ${[...differ, ...missing].join(', ') || 'some variables'} do not match the checkpoint (see verification)`
    );
  }
}

/** `a, b (reason); c (other reason)`: the not-compared variables, grouped by their reason. */
function notCompared(verification: RestoreResult['verification']): string {
  const byReason = new Map<string, string[]>();
  for (const name of verification.notCompared) {
    const reason = verification.notComparedReasons[name] ?? 'no reason given';
    byReason.set(reason, [...(byReason.get(reason) ?? []), name]);
  }
  return [...byReason].map(([reason, names]) => `${names.join(', ')} (${reason})`).join('; ');
}

/** Where the time went, in words (the phases of `timings`). */
function formatTimings(t: RestoreResult['timings']): string {
  const parts: Array<[string, number]> = [
    ['kernel start', t.kernelStartMs],
    ['agent', t.bootstrapMs],
    ['fetch', t.fetchMs],
    ['imports', t.importMs],
    ['loads', t.loadMs],
    ['re-runs', t.rerunMs],
    ['verify', t.verifyMs]
  ];
  const text = parts.map(([name, ms]) => `${name} ${Math.round(ms)} ms`).join(', ');
  return t.attempts > 1 ? `${text} (${t.attempts} attempts)` : text;
}

/** The readable output. */
function formatRestore(result: RestoreResult): string {
  const lines = [
    `Restored checkpoint ${result.checkpointId} from ${result.bundle} in ${Math.round(result.timings.totalMs)} ms`,
    `  loaded: ${result.loaded.length ? result.loaded.join(', ') : 'nothing'}`,
    `  re-ran ${result.rerun.length} execution(s)`,
    `  time: ${formatTimings(result.timings)}`,
    `  verification: ${result.verification.ok ? 'every variable matches the checkpoint' : `differences in ${[...result.verification.differ, ...result.verification.missing].join(', ')}`}`
  ];
  if (result.verification.notCompared.length) {
    lines.push(`  not compared (not comparable across processes): ${notCompared(result.verification)}`);
  }
  for (const fallback of result.fallback) {
    lines.push(`  recomputed instead of loaded: ${fallback.members.join(', ')} (${fallback.reason})`);
  }
  for (const problem of result.replayProblems) {
    lines.push(
      `  execution ${problem.execution} (cell ${problem.cellIndex ?? '?'}) replayed differently: ` +
        `recorded ${problem.expected ?? 'no error'}, got ${problem.got ?? 'no error'}`
    );
  }
  if (result.connectionFile) {
    lines.push('', `Kernel ${result.kernelId} is still running: jupyter console --existing ${result.connectionFile}`);
  }
  return lines.join('\n');
}

/** The `restore` command. */
export function restoreCommand(context: ICommandContext): Command {
  return addSessionOptions(
    new Command('restore')
      .description('start a fresh kernel and restore a checkpointed session into it, then verify every variable')
      .argument('<bundle>', 'the bundle: a folder path or s3://bucket/prefix')
  ).action((bundle: string, options: IRestoreOptions) => runRestore(bundle, options, context));
}
