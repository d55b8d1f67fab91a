/**
 * `migrate NOTEBOOK --to TARGET`: move a notebook's session to another Jupyter server running
 * this extension (docs/contracts.md). With `--server` the notebook's live session on that server
 * is migrated; without it the notebook is first run in a fresh kernel of a private server, as
 * `checkpoint` does. Either way the source server's companion does the work (a migrate job):
 * the bundle goes from companion to companion, never through this process.
 */
import { Command } from 'commander';
import path from 'path';
import { formatBytes, type IJob, type IMigrateJobResult, type MigrateRequestBody } from '@elastic-notebook/protocol';
import type { Objective } from '../../planner/index';
import { CliError } from '../cliError';
import { callServer, errorText, IJupyterServer } from '../jupyterServer';
import { INotebookFile, readNotebook } from '../notebook';
import { ICommandContext, openServer, withNotebookSession } from '../notebookSession';
import { printResult } from '../output';
import { Progress } from '../progress';
import { locateOnServer } from '../serverPath';
import { notebookMarksOf, objectiveOption, runBeforeSaving } from './checkpoint';
import { addSessionOptions, IRecordOptions, seconds } from './record';

/** Options of `migrate`. */
export interface IMigrateOptions extends IRecordOptions {
  to: string;
  toToken?: string;
  objective: Objective;
  overwrite?: boolean;
  stopSource?: boolean;
}

/** Where to migrate to, as the migrate route takes it. */
type TargetFields = Pick<MigrateRequestBody, 'target' | 'targetUrl' | 'targetToken'>;

/** The target of `--to`: a URL with `--to-token`, or a target's name, which the server's companion resolves. */
export function targetOf(options: Pick<IMigrateOptions, 'to' | 'toToken'>): TargetFields {
  if (/^https?:\/\//i.test(options.to)) {
    if (options.toToken === undefined) {
      throw new CliError(`--to ${options.to} needs the target server's token: pass --to-token`, 2);
    }
    return { targetUrl: options.to, targetToken: options.toToken };
  }
  return { target: options.to };
}

/**
 * Check a target given by name on `server` before anything runs: the server's companion knows it,
 * and it is a kind a migration reaches: a Jupyter server, a JupyterHub user's server, or this
 * machine when a live session is migrated (a URL target is checked by the migration itself).
 */
async function checkTarget(server: IJupyterServer, target: TargetFields, live: boolean): Promise<void> {
  if (!target.target) {
    return;
  }
  const response = await callServer(server, `elastic-notebook/api/targets/${encodeURIComponent(target.target)}`);
  if (response.status === 404) {
    throw new CliError(
      `unknown target ${target.target}: the server knows no target by that name (add it to targets.json, or give a Jupyter server URL with --to-token)`,
      2
    );
  }
  if (!response.ok) {
    throw new CliError(`could not look up target ${target.target}: ${await errorText(response)}`);
  }
  const { kind } = (await response.json()) as { kind: string };
  if (kind === 'local' && !live) {
    throw new CliError(
      `target ${target.target} is a new kernel on the same server: give --server (without it the session would move into a private server that stops)`,
      2
    );
  }
  if (kind !== 'jupyter' && kind !== 'jupyterhub' && kind !== 'local') {
    throw new CliError(
      `target ${target.target} is a ${kind} target, which this version cannot migrate to (Jupyter server, JupyterHub and this machine)`,
      2
    );
  }
}

/** Start the migrate job of `kernelId` on `server` and follow it to its end. */
async function migrateKernel(
  server: IJupyterServer,
  kernelId: string,
  body: MigrateRequestBody,
  progress: Progress
): Promise<IMigrateJobResult> {
  const started = await callServer(server, `elastic-notebook/api/kernels/${encodeURIComponent(kernelId)}/migrate`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body)
  });
  if (started.status !== 202) {
    throw new CliError(`the migration could not start: ${await errorText(started)}`);
  }
  const { jobId } = (await started.json()) as { jobId: string };
  let shown = 0;
  for (;;) {
    const response = await callServer(server, `elastic-notebook/api/jobs/${encodeURIComponent(jobId)}`);
    if (!response.ok) {
      throw new CliError(`lost track of the migration: ${await errorText(response)}`);
    }
    const job = (await response.json()) as IJob;
    job.steps.slice(shown).forEach(step => progress.step(step.message));
    shown = job.steps.length;
    if (job.state === 'done') {
      return job.result as IMigrateJobResult;
    }
    if (job.state !== 'running') {
      throw new CliError(job.error ?? `the migration ended ${job.state}`);
    }
    await new Promise(resolve => setTimeout(resolve, 250));
  }
}

/** The kernel of `relative`'s live session on `server`. */
async function liveKernel(server: IJupyterServer, relative: string): Promise<string> {
  const response = await callServer(server, 'api/sessions');
  if (!response.ok) {
    throw new CliError(`could not list the sessions of ${server.baseUrl}: ${await errorText(response)}`);
  }
  const sessions = (await response.json()) as Array<{ path?: string; kernel?: { id?: string } | null }>;
  const session = sessions.find(s => s.path === relative && s.kernel?.id);
  if (!session?.kernel?.id) {
    throw new CliError(
      `${relative} has no live session on ${server.baseUrl}: open it there first, or leave out --server to run it in a fresh kernel`
    );
  }
  return session.kernel.id;
}

/** `migrate NOTEBOOK --to TARGET`. */
async function runMigrate(file: string, options: IMigrateOptions, context: ICommandContext): Promise<void> {
  if (options.keepKernel) {
    throw new CliError('--keep-kernel does not apply to migrate: the migrated kernel keeps running on the target', 2);
  }
  const target = targetOf(options);
  const notebook = await readNotebook(file);
  const marks = notebookMarksOf(file, notebook.json) as MigrateRequestBody['marks'];
  const request = (notebookPath: string): MigrateRequestBody => ({
    ...target,
    objective: options.objective,
    marks,
    notebookPath,
    ...(notebook.kernelName ? { kernelName: notebook.kernelName } : {}),
    ...(options.overwrite ? { overwrite: true } : {}),
    ...(options.stopSource ? { stopSource: true } : {})
  });
  const { progress } = context;
  let result: IMigrateJobResult;
  if (options.server) {
    const opened = await openServer(path.dirname(notebook.path), options, context);
    await checkTarget(opened.server, target, true);
    const relative = await locateOnServer(opened.server, notebook);
    const kernelId = await liveKernel(opened.server, relative);
    result = await migrateKernel(opened.server, kernelId, request(relative), progress);
  } else {
    ({ result } = await withNotebookSession(
      notebook,
      { ...options, keepKernel: false },
      context,
      async ({ server, session }) => {
        await checkTarget(server, target, false);
        await runBeforeSaving(session, notebook, options, progress, 'migrated');
        return migrateKernel(server, session.kernelId, request(path.basename(notebook.path)), progress);
      }
    ));
  }
  printResult(result, Boolean(options.json), r => formatMigrate(notebook, r));
  if (!result.verification.ok) {
    const { differ, missing } = result.verification;
    throw new CliError(
      `migrated, but ${[...differ, ...missing].join(', ') || 'some variables'} do not match the checkpoint (see verification)`
    );
  }
}

/** The readable output. */
function formatMigrate(notebook: INotebookFile, result: IMigrateJobResult): string {
  const t = result.timings;
  return [
    `Migrated ${notebook.path} to ${result.target}`,
    `  open it there: ${result.notebookUrl} (kernel ${result.kernelId})`,
    `  ${transportText(result)} ${formatBytes(result.bytes)}; objective ${result.plan.objective}: copied ` +
      `${result.plan.copy.length ? result.plan.copy.join(', ') : 'nothing'}, re-ran ${result.plan.rerun.length} execution(s)`,
    `  time: checkpoint ${Math.round(t.checkpointMs)} ms, transfer ${Math.round(t.transferMs)} ms, ` +
      `restore ${Math.round(t.restoreMs)} ms, total ${Math.round(t.totalMs)} ms`,
    `  verification: ${result.verification.ok ? 'every variable matches the source' : `differences in ${[...result.verification.differ, ...result.verification.missing].join(', ')}`}`,
    ...(result.sourceStopped ? ['  the source kernel was stopped'] : [])
  ].join('\n');
}

/** How the bundle went, for the readable output. */
function transportText(result: IMigrateJobResult): string {
  switch (result.transport) {
    case 'shared-store':
      return 'through the shared S3 store:';
    case 'local':
      return 'checkpointed on this machine:';
    default:
      return 'sent directly:';
  }
}

/** The `migrate` command. */
export function migrateCommand(context: ICommandContext): Command {
  return addSessionOptions(
    new Command('migrate')
      .description(
        "move a notebook's session to another Jupyter server running Elastic Notebook: the live session of " +
          '--server, or (without --server) the notebook run in a fresh kernel first'
      )
      .argument('<notebook>', 'the .ipynb file')
  )
    .requiredOption(
      '--to <target>',
      "the target: a configured target's name (a Jupyter server, or a JupyterHub server started first), or a Jupyter server URL with --to-token"
    )
    .option(
      '--to-token <token>',
      "the target server's API token (default: $ELASTIC_NOTEBOOK_TO_TOKEN, which keeps it out of the process list)",
      process.env.ELASTIC_NOTEBOOK_TO_TOKEN
    )
    .addOption(objectiveOption())
    .option('--overwrite', 'replace a different notebook already at the same path on the target')
    .option('--stop-source', 'shut the source kernel down once the target verified the migrated session')
    .option('--stop-on-error', 'without --server: stop at the first cell that raises and migrate nothing')
    .option('--timeout <seconds>', 'without --server: fail when one cell runs longer than this', seconds)
    .action((file: string, options: IMigrateOptions) => runMigrate(file, options, context));
}
