import { Command } from 'commander';
import { KernelSession } from '../kernelSession';
import { IJupyterServer } from '../jupyterServer';
import { readNotebook } from '../notebook';
import { printResult } from '../output';
import { Progress } from '../progress';
import { IServerOptions, withNotebookSession } from '../session';

interface IRecordOptions extends IServerOptions {
  json?: boolean;
  stopOnError?: boolean;
  timeout: string;
}

/** The history graph as the companion serves it (docs/internals.md section 6). */
export interface IGraphJSON {
  executions: Array<Record<string, unknown>>;
  variables: Array<Record<string, unknown>>;
  groups: string[][];
  [key: string]: unknown;
}

/** Wait until the companion has `count` executions for the kernel's current run, and return the graph. */
export async function waitForGraph(
  server: IJupyterServer,
  kernelId: string,
  count: number,
  timeoutMs: number
): Promise<IGraphJSON> {
  const url = new URL(`elastic-notebook/api/kernels/${kernelId}/graph`, server.baseUrl);
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    const response = await fetch(url, { headers: { Authorization: `token ${server.token}` } });
    const body = (await response.json().catch(() => null)) as IGraphJSON | { error?: string } | null;
    if (response.ok && body && Array.isArray((body as IGraphJSON).executions)) {
      const graph = body as IGraphJSON;
      if (graph.executions.length >= count) {
        return graph;
      }
      last = `${graph.executions.length} of ${count} executions recorded`;
    } else if (response.status !== 404) {
      last = `${response.status}: ${(body as { error?: string } | null)?.error ?? 'unexpected answer'}`;
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  throw new Error(`the history graph did not arrive at the companion server (${last})`);
}

/** Run every code cell with recording on; returns how many cells ran. */
export async function runAllCells(
  session: KernelSession,
  cells: Array<{ cellIndex: number; cellId: string | null; source: string }>,
  stopOnError: boolean,
  progress: Progress
): Promise<number> {
  let ran = 0;
  for (const cell of cells) {
    progress.step(`running cell ${cell.cellIndex}`);
    const run = await session.runCell(cell.source, cell.cellIndex, cell.cellId);
    ran += 1;
    if (run.status === 'error') {
      progress.step(`cell ${cell.cellIndex} raised ${run.error}`);
      if (stopOnError) {
        break;
      }
    }
  }
  return ran;
}

async function record(file: string, options: IRecordOptions): Promise<void> {
  const timeoutMs = Number(options.timeout) * 1000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new Error(`--timeout must be a positive number of seconds, got ${options.timeout}`);
  }
  const notebook = await readNotebook(file);
  const progress = new Progress();
  const result = await withNotebookSession(notebook, options, progress, async ({ server, session }) => {
    const ran = await runAllCells(session, notebook.cells, Boolean(options.stopOnError), progress);
    progress.step('waiting for the history graph');
    const graph = await waitForGraph(server, session.kernelId, ran, timeoutMs);
    const out: Record<string, unknown> = { notebook: notebook.path, ...graph };
    if (options.keepKernel) {
      out.kernelId = session.kernelId;
      out.connectionFile = await session.evaluate("__import__('ipykernel.connect').connect.get_connection_file()");
      out.connectionFile = String(out.connectionFile).replace(/^'|'$/g, '');
      out.server = { url: server.baseUrl, token: server.token, pid: server.pid ?? null };
    }
    return out;
  });
  printResult(result, Boolean(options.json), formatGraph);
}

/** A readable table of the graph for the terminal. */
function formatGraph(result: Record<string, unknown>): string {
  const graph = result as unknown as IGraphJSON;
  const lines = ['#   cell  ms        reads -> writes (deleted)'];
  for (const e of graph.executions as any[]) {
    const deleted = e.deletes.length ? ` (del ${e.deletes.join(', ')})` : '';
    const error = e.error ? `  !! ${e.error}` : '';
    lines.push(
      `${String(e.index).padEnd(4)}${String(e.cellIndex ?? '-').padEnd(6)}${e.durationMs.toFixed(1).padEnd(10)}` +
        `${e.reads.join(', ') || '-'} -> ${e.writes.join(', ') || '-'}${deleted}${error}`
    );
  }
  lines.push('', `groups: ${graph.groups.map(g => `{${g.join(', ')}}`).join(' ') || '-'}`);
  if (result.connectionFile) {
    lines.push(`kernel ${result.kernelId} kept running: jupyter console --existing ${result.connectionFile}`);
  }
  return lines.join('\n');
}

/** Add options shared by every command that drives a kernel. */
export function addServerOptions(command: Command): Command {
  return command
    .option('--server <url>', 'use this running Jupyter server (with the extension) instead of starting one')
    .option('--token <token>', 'token for --server')
    .option('--keep-kernel', 'leave the kernel running and print kernelId and connectionFile')
    .option('--json', 'print one JSON object on stdout');
}

/** The `record` command. */
export function recordCommand(): Command {
  return addServerOptions(
    new Command('record')
      .description('run every code cell with recording on and print the history graph')
      .argument('<notebook>', 'the .ipynb file')
  )
    .option('--stop-on-error', 'stop at the first cell that raises')
    .option('--timeout <seconds>', 'how long to wait for the history graph', '60')
    .action(record);
}
