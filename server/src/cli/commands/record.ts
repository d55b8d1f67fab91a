import { Command, InvalidArgumentError } from 'commander';
import { AgentCalls } from '../../migrate/agentCalls';
import { CliError } from '../cliError';
import { formatGraph } from '../graphTable';
import { HistoryGraph, waitForGraph } from '../historyGraph';
import { KernelSession } from '../kernelSession';
import { INotebookCodeCell, readNotebook } from '../notebook';
import { ICommandContext, IKeptKernel, ISessionOptions, withNotebookSession } from '../notebookSession';
import { printResult } from '../output';
import { Progress } from '../progress';

/** Options of `record`. */
export interface IRecordOptions extends ISessionOptions {
  json?: boolean;
  stopOnError?: boolean;
  /** Seconds; see the option's help. */
  timeout?: number;
}

/** What `record --json` prints: the history graph, plus the kept kernel with --keep-kernel. */
export type RecordResult = HistoryGraph & { notebook: string } & Partial<IKeptKernel>;

/** How long to wait for the companion to catch up when --timeout is not given. */
const GRAPH_WAIT_MS = 60_000;

/** The first cell that raised when --stop-on-error stopped the run. */
interface IStop {
  cellIndex: number;
  error: string;
}

/**
 * Run the notebook's code cells in order under `%%intercept`, skipping blank ones as JupyterLab
 * does. A cell that raises is recorded and the run goes on, unless `stopOnError`.
 */
export async function runCells(
  session: KernelSession,
  cells: INotebookCodeCell[],
  options: { stopOnError: boolean; timeoutMs?: number },
  progress: Progress
): Promise<{ ran: number; stopped: IStop | null }> {
  const runnable = cells.filter(cell => cell.source.trim());
  let ran = 0;
  for (const cell of runnable) {
    progress.step(`running cell ${cell.cellIndex} (${ran + 1} of ${runnable.length})`);
    const result = await session.runCell(cell, options.timeoutMs);
    ran += 1;
    if (result.status === 'error') {
      progress.step(`cell ${cell.cellIndex} raised ${result.error}`);
      if (options.stopOnError) {
        return { ran, stopped: { cellIndex: cell.cellIndex, error: result.error ?? 'an error' } };
      }
    }
  }
  return { ran, stopped: null };
}

/** `record NOTEBOOK`: run every code cell with recording on and print the history graph. */
async function record(file: string, options: IRecordOptions, context: ICommandContext): Promise<void> {
  const notebook = await readNotebook(file);
  const timeoutMs = options.timeout ? options.timeout * 1000 : undefined;
  let stopped: IStop | null = null;
  const { result: graph, kept } = await withNotebookSession(notebook, options, context, async ({ server, session }) => {
    const run = await runCells(
      session,
      notebook.cells,
      { stopOnError: Boolean(options.stopOnError), timeoutMs },
      context.progress
    );
    stopped = run.stopped;
    context.progress.step('waiting for the companion to store every record');
    const agentStatus = async () => JSON.stringify(await new AgentCalls(session).status());
    return waitForGraph(
      server,
      session.kernelId,
      run.ran,
      timeoutMs ?? GRAPH_WAIT_MS,
      async () => `agent: ${await agentStatus()}`
    );
  });
  const result: RecordResult = { notebook: notebook.path, ...graph, ...(kept ?? {}) };
  printResult(result, Boolean(options.json), formatRecord);
  if (stopped) {
    const { cellIndex, error } = stopped as IStop;
    throw new CliError(`cell ${cellIndex} raised ${error}; stopped there (--stop-on-error)`);
  }
}

/** The readable output: the graph's tables, and how to attach to a kept kernel. */
function formatRecord(result: RecordResult): string {
  const lines = [`History of ${result.notebook}`, '', formatGraph(result)];
  if (result.connectionFile) {
    lines.push('', `Kernel ${result.kernelId} is still running: jupyter console --existing ${result.connectionFile}`);
    if (result.server) {
      lines.push(
        `on the Jupyter server ${result.server.url} (pid ${result.server.pid}); stop it with: kill ${result.server.pid}`
      );
    }
  }
  return lines.join('\n');
}

/** Parse `--timeout SECONDS`. */
export function seconds(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) {
    throw new InvalidArgumentError('must be a positive number of seconds.');
  }
  return parsed;
}

/** Add the options shared by every command that drives a kernel. */
export function addSessionOptions(command: Command): Command {
  return command
    .option('--json', 'print exactly one JSON object on stdout')
    .option('--server <url>', 'use this running Jupyter server (with the extension) instead of starting one')
    .option('--token <token>', 'API token of --server', process.env.JUPYTER_TOKEN)
    .option('--keep-kernel', 'leave the kernel running; the output carries kernelId and connectionFile');
}

/** The `record` command. */
export function recordCommand(context: ICommandContext): Command {
  return addSessionOptions(
    new Command('record')
      .description('run every code cell of a notebook in a fresh kernel with recording on and print the history graph')
      .argument('<notebook>', 'the .ipynb file')
  )
    .option('--stop-on-error', 'stop at the first cell that raises (default: record it and go on)')
    .option(
      '--timeout <seconds>',
      `fail when one cell runs longer than this, or the records take longer than this to arrive (default: no limit per cell, ${GRAPH_WAIT_MS / 1000} s for the records)`,
      seconds
    )
    .action((file: string, options: IRecordOptions) => record(file, options, context));
}
