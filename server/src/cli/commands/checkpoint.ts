import { Command, InvalidArgumentError, Option } from 'commander';
import { IExecutionRecord } from '../../ahg/types';
import { formatBytes } from '@elastic-notebook/protocol';
import { checkpoint, ICheckpointSummary, summarizeCheckpoint } from '../../migrate/checkpoint';
import { checkpointObservations, MeasurementLog } from '../../migrate/measurementLog';
import { historyKey, MarksError, Objective, OBJECTIVES, runDurations } from '../../planner/index';
import { marksFromNotebook } from '../../planner/notebookMarks';
import { CliError, oneLine } from '../cliError';
import { waitForGraph } from '../historyGraph';
import { callServer, errorText, IJupyterServer } from '../jupyterServer';
import { kernelChannel } from '../kernelChannel';
import { INotebookFile, readNotebook } from '../notebook';
import { KernelSession } from '../kernelSession';
import { Progress } from '../progress';
import { ICommandContext, IKeptKernel, withNotebookSession } from '../notebookSession';
import { printResult } from '../output';
import { openBundleStore } from '../bundleStore';
import { addSessionOptions, IRecordOptions, runCells, seconds } from './record';

/** Options of `checkpoint`. */
export interface ICheckpointOptions extends IRecordOptions {
  out: string;
  objective: Objective;
}

/** What `checkpoint --json` prints. */
export interface ICheckpointResult extends ICheckpointSummary, Partial<IKeptKernel> {
  notebook: string;
  timings: ICheckpointSummary['timings'] & { runMs: number };
}

/** How long to wait for the companion to catch up when --timeout is not given. */
const GRAPH_WAIT_MS = 60_000;

/** The raw records of the kernel's current run, read back from the companion. */
async function fetchRecords(
  server: IJupyterServer,
  kernelId: string
): Promise<{ runId: string; records: IExecutionRecord[] }> {
  const response = await callServer(server, `elastic-notebook/api/kernels/${kernelId}/records`);
  if (!response.ok) {
    throw new CliError(`could not read the recorded history: ${await errorText(response)}`);
  }
  const body = (await response.json().catch(() => null)) as { runId?: unknown; records?: unknown } | null;
  if (typeof body?.runId !== 'string' || !Array.isArray(body.records)) {
    throw new CliError('the companion answered the history request without records');
  }
  return { runId: body.runId, records: body.records as IExecutionRecord[] };
}

/**
 * Run every code cell of `notebook` before its session is saved somewhere (checkpointed,
 * migrated); with --stop-on-error a cell that raises stops it with "nothing <what>".
 */
export async function runBeforeSaving(
  session: KernelSession,
  notebook: INotebookFile,
  options: Pick<IRecordOptions, 'stopOnError' | 'timeout'>,
  progress: Progress,
  what: string
): Promise<{ ran: number }> {
  const timeoutMs = options.timeout ? options.timeout * 1000 : undefined;
  const run = await runCells(
    session,
    notebook.cells,
    { stopOnError: Boolean(options.stopOnError), timeoutMs },
    progress
  );
  if (run.stopped) {
    throw new CliError(
      `cell ${run.stopped.cellIndex} raised ${run.stopped.error}; stopped there (--stop-on-error), nothing ${what}`
    );
  }
  return run;
}

/** `checkpoint NOTEBOOK --out BUNDLE`: run the notebook with recording on, then checkpoint it. */
async function runCheckpoint(file: string, options: ICheckpointOptions, context: ICommandContext): Promise<void> {
  const notebook = await readNotebook(file);
  const marks = notebookMarksOf(file, notebook.json);
  // Checked before anything runs: a bad --out must not cost a whole notebook run.
  const store = await openBundleStore(options.out, context);
  const measured = await MeasurementLog.open();
  const timeoutMs = options.timeout ? options.timeout * 1000 : undefined;
  const { progress } = context;
  const { result, kept } = await withNotebookSession(notebook, options, context, async ({ server, session }) => {
    const t0 = Date.now();
    const run = await runBeforeSaving(session, notebook, options, progress, 'checkpointed');
    const runMs = Date.now() - t0;
    progress.step('waiting for the companion to store every record');
    await waitForGraph(server, session.kernelId, run.ran, timeoutMs ?? GRAPH_WAIT_MS, async () => '');
    const { runId, records } = await fetchRecords(server, session.kernelId);
    // The same code run in the same order keeps its last plan unless the costs really changed.
    const key = historyKey(
      options.objective,
      records.map(r => r.code)
    );
    const outcome = await checkpoint({
      channel: kernelChannel(session),
      records,
      kernelId: session.kernelId,
      runId,
      store,
      objective: options.objective,
      marks,
      measurements: measured.measurements(store.uri),
      previous: measured.previous(key),
      notebook: { path: notebook.path, kernelName: notebook.kernelName },
      onStep: message => progress.step(message)
    });
    return { outcome, runMs, key, run: runDurations(runId, records) };
  });
  const { outcome, runMs, key, run } = result;
  measured.record(store.uri, checkpointObservations(outcome));
  measured.remember(key, outcome.plan, run);
  await measured.save();
  const summary = summarizeCheckpoint(outcome);
  const printed: ICheckpointResult = {
    notebook: notebook.path,
    ...summary,
    timings: { ...summary.timings, runMs },
    ...(kept ?? {})
  };
  printResult(printed, Boolean(options.json), formatCheckpoint);
}

/** The readable output. */
function formatCheckpoint(result: ICheckpointResult): string {
  const lines = [
    `Checkpoint ${result.checkpointId} of ${result.notebook}`,
    `  written to ${result.bundle} (${formatBytes(result.bytes)}) in ${Math.round(result.timings.totalMs)} ms`,
    `  objective ${result.plan.objective}: copy ${result.plan.copy.length ? result.plan.copy.join(', ') : 'nothing'}; ` +
      `re-run ${result.plan.rerun.length} of ${result.executions} execution(s) at restore`,
    `  estimated restore ${Math.round(result.plan.estimate.restoreMs)} ms ` +
      `(copy all: ${priced(result.plan.baselines.copyAll)}, re-run all: ${priced(result.plan.baselines.recomputeAll)})`
  ];
  for (const replanned of result.replanned) {
    lines.push(`  recomputed instead of copied: ${replanned.members.join(', ')} (${replanned.reason})`);
  }
  if (result.connectionFile) {
    lines.push('', `Kernel ${result.kernelId} is still running: jupyter console --existing ${result.connectionFile}`);
  }
  return lines.join('\n');
}

function priced(baseline: ICheckpointResult['plan']['baselines']['copyAll']): string {
  return baseline.feasible ? `${Math.round(baseline.restoreMs)} ms` : 'impossible';
}

/** Parse `--objective`. */
function objective(value: string): Objective {
  if (!OBJECTIVES.includes(value as Objective)) {
    throw new InvalidArgumentError(`must be one of ${OBJECTIVES.join(', ')}.`);
  }
  return value as Objective;
}

/** The `--objective` option of the commands that plan (checkpoint, migrate). */
export function objectiveOption(): Option {
  return new Option('--objective <objective>', `what the plan optimises: ${OBJECTIVES.join(', ')}`)
    .default('balanced')
    .argParser(objective);
}

/** The marks of a notebook read from `file`, or a CliError naming the file. */
export function notebookMarksOf(file: string, json: unknown): unknown {
  try {
    return marksFromNotebook(json);
  } catch (err) {
    throw new CliError(`${file}: ${err instanceof MarksError ? err.message : oneLine(err)}`);
  }
}

/** The `checkpoint` command. */
export function checkpointCommand(context: ICommandContext): Command {
  return addSessionOptions(
    new Command('checkpoint')
      .description(
        'run every code cell of a notebook in a fresh kernel with recording on, then checkpoint the session to a bundle'
      )
      .argument('<notebook>', 'the .ipynb file')
  )
    .requiredOption('--out <bundle>', 'where to write the bundle: a folder path or s3://bucket/prefix')
    .addOption(objectiveOption())
    .option(
      '--stop-on-error',
      'stop at the first cell that raises and checkpoint nothing (default: record it and go on)'
    )
    .option('--timeout <seconds>', 'fail when one cell runs longer than this', seconds)
    .action((file: string, options: ICheckpointOptions) => runCheckpoint(file, options, context));
}
