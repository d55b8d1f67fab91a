import { promises as fs } from 'fs';
import path from 'path';
import { syncPath, writeFileDurably } from '../durable';
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
      const known = history.runs.get(runId);
      const next = known?.graph.size ?? 0;
      // Records below `next` are already stored (a resend after a lost ack): skip them.
      const fresh = records.filter(r => r.seq >= next);
      if (fresh.length > 0 && fresh[0].seq !== next) {
        return { ok: false, nextSeq: next, error: `expected seq ${next}, got ${fresh[0].seq}` };
      }
      const run = known ?? (await this.startRun(history, runId));
      if (fresh.length > 0) {
        await this.append(run.file, fresh);
        fresh.forEach(r => run.graph.add(r));
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

  /**
   * The raw records of a kernel's current run, in seq order, read back from its log (what a
   * checkpoint stores so that the restored kernel can continue the run). Undefined if nothing was
   * ever recorded for the kernel.
   */
  records(kernelId: string): Promise<{ runId: string; records: IExecutionRecord[] } | undefined> {
    // Behind the kernel's queue: never read a log while a batch is being appended to it.
    return this.exclusive(kernelId, async () => {
      const history = await this.load(kernelId);
      const run = history.current ? history.runs.get(history.current) : undefined;
      if (!run) {
        return undefined;
      }
      const text = await fs.readFile(run.file, 'utf8');
      const records = text
        .split('\n')
        .filter(line => line.trim() !== '')
        .map(line => JSON.parse(line) as IExecutionRecord)
        .slice(0, run.graph.size);
      return { runId: run.runId, records };
    });
  }

  /** Every kernel with a recorded history. */
  async list(): Promise<IKernelSummary[]> {
    let ids: string[] = [];
    try {
      const entries = await fs.readdir(path.join(this.dataDir, 'ahg'), { withFileTypes: true });
      // Stray files (an editor's backup, a note) are not kernels.
      ids = entries.filter(e => e.isDirectory()).map(e => e.name);
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
    let newest: string | null = null;
    for (const entry of entries.filter(e => e.endsWith('.jsonl'))) {
      const runId = entry.slice(0, -'.jsonl'.length);
      const file = path.join(dir, entry);
      const graph = await this.replay(file);
      history.runs.set(runId, { runId, graph, file });
      const { mtimeMs } = await fs.stat(file);
      if (mtimeMs >= history.updatedAt) {
        history.updatedAt = mtimeMs;
        newest = runId;
      }
    }
    try {
      const current = JSON.parse(await fs.readFile(path.join(dir, 'current.json'), 'utf8')).runId;
      history.current = history.runs.has(current) ? current : null;
    } catch {
      history.current = null;
    }
    if (history.current === null && history.runs.size > 0) {
      // A crash between creating a run's log and recording it as current: the newest log wins.
      history.current = newest;
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
        this.warn(
          `elastic-notebook: ${file}: dropping damaged records from byte ${offset} (${(err as Error).message})`
        );
        await fs.copyFile(file, `${file}.damaged-${Date.now()}`);
        await fs.truncate(file, offset);
        return graph;
      }
      offset = newline + 1;
    }
    return graph;
  }

  /** Create a run's empty log and make it the kernel's current run. */
  private async startRun(history: IKernelHistory, runId: string): Promise<IRun> {
    const dir = this.kernelDir(history.kernelId);
    const run: IRun = { runId, graph: new HistoryGraph(), file: path.join(dir, `${runId}.jsonl`) };
    if ((await fs.mkdir(dir, { recursive: true })) !== undefined) {
      // A new kernel folder: its entry in ahg/ must survive a crash too.
      await syncPath(path.dirname(dir));
    }
    await fs.writeFile(run.file, '', { flag: 'a' });
    await this.setCurrent(history, runId);
    history.runs.set(runId, run);
    return run;
  }

  /**
   * Append records to a log and fsync it. If the write fails part-way (disk full), the log is cut
   * back to its previous length so that the next append starts on a clean line.
   */
  private async append(file: string, records: IExecutionRecord[]): Promise<void> {
    const handle = await fs.open(file, 'a');
    try {
      const { size } = await handle.stat();
      try {
        await handle.appendFile(records.map(r => JSON.stringify(r)).join('\n') + '\n');
        await handle.sync();
      } catch (err) {
        await handle.truncate(size).catch(() => undefined);
        throw err;
      }
    } finally {
      await handle.close();
    }
  }

  /** Atomically record which run is current, durably (file and folder entry fsynced). */
  private async setCurrent(history: IKernelHistory, runId: string): Promise<void> {
    const dir = this.kernelDir(history.kernelId);
    const file = path.join(dir, 'current.json');
    const temp = `${file}.${process.pid}.tmp`;
    await writeFileDurably(temp, JSON.stringify({ runId }));
    await fs.rename(temp, file);
    await syncPath(dir);
    history.current = runId;
  }
}
