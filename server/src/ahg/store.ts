import { promises as fs } from 'fs';
import path from 'path';
import { HistoryGraph } from './graph';
import { IExecutionRecord } from './types';

/** One kernel run's graph and its append-only log. */
interface IRun {
  runId: string;
  graph: HistoryGraph;
  file: string;
}

/** One kernel's runs (a restart starts a new run) and which one is current. */
interface IKernelHistory {
  kernelId: string;
  current: string | null;
  runs: Map<string, IRun>;
  updatedAt: number;
}

/** What an ingest did. */
export type IngestResult = { ok: true; nextSeq: number } | { ok: false; nextSeq: number; error: string };

/** Summary of one kernel, for listings. */
export interface IKernelSummary {
  kernelId: string;
  runId: string | null;
  executions: number;
  updatedAt: string;
}

/**
 * Durable store of history graphs: one append-only JSON-lines log per kernel run under
 * `<dataDir>/ahg/<kernelId>/<runId>.jsonl`, fsynced before a batch is acknowledged, replayed into
 * a `HistoryGraph` the first time a kernel is used after a start. Writes for one kernel are
 * serialized; kernels are independent.
 */
export class HistoryStore {
  constructor(
    readonly dataDir: string,
    private readonly warn: (message: string) => void = message => process.stderr.write(`${message}\n`)
  ) {}

  /** Append a batch of records for `kernelId`'s run `runId` (docs/internals.md section 4). */
  ingest(kernelId: string, runId: string, records: IExecutionRecord[]): Promise<IngestResult> {
    return this.exclusive(kernelId, async () => {
      const history = await this.load(kernelId);
      let run = history.runs.get(runId);
      if (!run) {
        run = { runId, graph: new HistoryGraph(), file: path.join(this.kernelDir(kernelId), `${runId}.jsonl`) };
        history.runs.set(runId, run);
        await fs.mkdir(this.kernelDir(kernelId), { recursive: true });
        await fs.writeFile(run.file, '', { flag: 'a' });
        await this.setCurrent(history, runId);
      }
      const next = run.graph.size;
      const fresh = records.filter(r => r.seq >= next);
      if (fresh.length > 0 && fresh[0].seq !== next) {
        return { ok: false, nextSeq: next, error: `expected seq ${next}, got ${fresh[0].seq}` };
      }
      if (fresh.length > 0) {
        const handle = await fs.open(run.file, 'a');
        try {
          await handle.appendFile(fresh.map(r => JSON.stringify(r)).join('\n') + '\n');
          await handle.sync();
        } finally {
          await handle.close();
        }
        fresh.forEach(r => run!.graph.add(r));
        history.updatedAt = Date.now();
      }
      return { ok: true, nextSeq: run.graph.size };
    });
  }

  /** The next expected seq of a run (0 for an unknown run). */
  async nextSeq(kernelId: string, runId: string): Promise<number> {
    const history = await this.load(kernelId);
    return history.runs.get(runId)?.graph.size ?? 0;
  }

  /** The current run of a kernel, or undefined if nothing was ever recorded for it. */
  async currentRun(kernelId: string): Promise<IRun | undefined> {
    const history = await this.load(kernelId);
    return history.current ? history.runs.get(history.current) : undefined;
  }

  /** Every kernel with a recorded history. */
  async list(): Promise<IKernelSummary[]> {
    let ids: string[] = [];
    try {
      ids = await fs.readdir(path.join(this.dataDir, 'ahg'));
    } catch {
      return [];
    }
    const summaries: IKernelSummary[] = [];
    for (const kernelId of ids.sort()) {
      const history = await this.load(kernelId);
      const run = history.current ? history.runs.get(history.current) : undefined;
      summaries.push({
        kernelId,
        runId: history.current,
        executions: run?.graph.size ?? 0,
        updatedAt: new Date(history.updatedAt).toISOString()
      });
    }
    return summaries;
  }

  private readonly kernels = new Map<string, Promise<IKernelHistory>>();
  private readonly queues = new Map<string, Promise<unknown>>();

  private kernelDir(kernelId: string): string {
    return path.join(this.dataDir, 'ahg', kernelId);
  }

  /** Run `task` after every earlier task for the same kernel. */
  private exclusive<T>(kernelId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(kernelId) ?? Promise.resolve();
    const result = previous.then(task, task);
    this.queues.set(
      kernelId,
      result.catch(() => undefined)
    );
    return result;
  }

  private load(kernelId: string): Promise<IKernelHistory> {
    let loading = this.kernels.get(kernelId);
    if (!loading) {
      loading = this.readKernel(kernelId);
      this.kernels.set(kernelId, loading);
      loading.catch(() => this.kernels.delete(kernelId));
    }
    return loading;
  }

  private async readKernel(kernelId: string): Promise<IKernelHistory> {
    const dir = this.kernelDir(kernelId);
    const history: IKernelHistory = { kernelId, current: null, runs: new Map(), updatedAt: 0 };
    let entries: string[];
    try {
      entries = await fs.readdir(dir);
    } catch {
      return history;
    }
    for (const entry of entries.filter(e => e.endsWith('.jsonl'))) {
      const runId = entry.slice(0, -'.jsonl'.length);
      const file = path.join(dir, entry);
      const graph = await this.replay(file);
      history.runs.set(runId, { runId, graph, file });
      history.updatedAt = Math.max(history.updatedAt, (await fs.stat(file)).mtimeMs);
    }
    try {
      const current = JSON.parse(await fs.readFile(path.join(dir, 'current.json'), 'utf8')).runId;
      history.current = history.runs.has(current) ? current : null;
    } catch {
      history.current = null;
    }
    return history;
  }

  /**
   * Rebuild a graph from its log. A damaged tail (a crash mid-write) is cut off with a warning, and
   * the damaged file kept beside it, so that later appends start on a clean line.
   */
  private async replay(file: string): Promise<HistoryGraph> {
    const bytes = await fs.readFile(file);
    const graph = new HistoryGraph();
    let offset = 0; // byte offset of the first record not yet replayed
    while (offset < bytes.length) {
      const newline = bytes.indexOf(0x0a, offset);
      try {
        if (newline < 0) {
          throw new Error('incomplete last line');
        }
        const line = bytes.subarray(offset, newline).toString('utf8');
        if (line.trim() !== '') {
          graph.add(JSON.parse(line));
        }
      } catch (err) {
        this.warn(`elastic-notebook: ${file}: dropping damaged records from byte ${offset} (${(err as Error).message})`);
        await fs.copyFile(file, `${file}.damaged-${Date.now()}`);
        await fs.truncate(file, offset);
        return graph;
      }
      offset = newline + 1;
    }
    return graph;
  }

  private async setCurrent(history: IKernelHistory, runId: string): Promise<void> {
    const file = path.join(this.kernelDir(history.kernelId), 'current.json');
    const temp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(temp, JSON.stringify({ runId }));
    await fs.rename(temp, file);
    history.current = runId;
  }
}
