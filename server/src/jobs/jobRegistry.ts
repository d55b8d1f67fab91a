/**
 * The companion's jobs: starts them, finds them, cancels them, and forgets finished ones after a
 * while. At most one job runs per kernel at a time (a checkpoint and a restore of the same kernel
 * would trample each other). Jobs live in memory: they run in this process, so a companion
 * restart ends them anyway.
 */
import { errorMessage } from '../bundle/errors';
import { MigrationError } from '../migrate/migrationError';
import { IJobContext, Job, JobKind } from './job';

/** A job is already running for the kernel. */
export class KernelBusyError extends Error {
  constructor(readonly job: Job) {
    super(`a ${job.kind} is already running for kernel ${job.kernelId}; wait for it or cancel it`);
    this.name = 'KernelBusyError';
  }
}

/** Options of a {@link JobRegistry}. */
export interface IJobRegistryOptions {
  /** How long a finished job stays visible (default 1 hour). */
  retainMs?: number;
  /** Finished jobs kept at most (default 100). */
  maxFinished?: number;
  /** Where unexpected task errors (bugs) are logged, with their stack. */
  warn?: (message: string) => void;
  /** Errors whose message is shown as is; others are reported as internal errors. */
  isExpected?: (err: unknown) => boolean;
}

/** The running and recently finished jobs. */
export class JobRegistry {
  private readonly jobs = new Map<string, Job>();
  private readonly tasks = new Set<Promise<void>>();

  constructor(private readonly options: IJobRegistryOptions = {}) {}

  /**
   * Start `task` as a job for `kernelId` and return the job at once; the task runs in the
   * background. Throws {@link KernelBusyError} when a job is running for the kernel.
   */
  start(kind: JobKind, kernelId: string, uri: string, task: (context: IJobContext) => Promise<unknown>): Job {
    const busy = this.running(kernelId);
    if (busy) {
      throw new KernelBusyError(busy);
    }
    this.prune();
    const job = new Job(kind, kernelId, uri);
    this.jobs.set(job.id, job);
    const run = Promise.resolve()
      .then(() => task(job))
      .then(
        result => job.succeed(result),
        err => job.fail(this.describe(err), err instanceof MigrationError ? err.code : undefined)
      )
      .finally(() => this.tasks.delete(run));
    this.tasks.add(run);
    return job;
  }

  /** The job `id`, if known. */
  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  /** Known jobs, newest first, optionally of one kernel only. */
  list(kernelId?: string): Job[] {
    this.prune();
    return [...this.jobs.values()]
      .filter(job => kernelId === undefined || job.kernelId === kernelId)
      .sort((a, b) => b.seq - a.seq);
  }

  /** The job running for `kernelId`, if any. */
  running(kernelId: string): Job | undefined {
    return [...this.jobs.values()].find(job => job.kernelId === kernelId && job.state === 'running');
  }

  /** A running job that writes or reads the bundle `uri`, if any. */
  usingBundle(uri: string): Job | undefined {
    return [...this.jobs.values()].find(job => job.uri === uri && job.state === 'running');
  }

  /** Resolves when every job started so far has ended (for tests and shutdown). */
  async settled(): Promise<void> {
    while (this.tasks.size > 0) {
      await Promise.all([...this.tasks]);
    }
  }

  /** The message a failed job shows. */
  private describe(err: unknown): string {
    if (this.options.isExpected?.(err) ?? true) {
      return errorMessage(err);
    }
    this.options.warn?.(`elastic-notebook: job failed unexpectedly: ${(err as Error)?.stack ?? String(err)}`);
    return `internal error: ${errorMessage(err)}`;
  }

  /** Forget finished jobs older than the retention time, and the oldest beyond the limit. */
  private prune(): void {
    const retainMs = this.options.retainMs ?? 60 * 60 * 1000;
    const now = Date.now();
    const finished = [...this.jobs.values()].filter(job => job.finishedAt !== null).sort((a, b) => b.seq - a.seq);
    finished.forEach((job, index) => {
      if (index >= (this.options.maxFinished ?? 100) || now - job.finishedAt!.getTime() > retainMs) {
        this.jobs.delete(job.id);
      }
    });
  }
}
