/**
 * A long operation (a checkpoint or a restore) running in the companion, so that it goes on
 * whether or not a browser watches it. The UI follows it by polling its JSON: state, the steps so
 * far, byte progress of the current transfer, and the result or the error.
 */
import type { IJob as IJobJSON, IJobProgress, IJobStep, JobKind, JobState } from '@elastic-notebook/protocol';
import { randomBytes } from 'crypto';

export type { IJob as IJobJSON, IJobProgress, IJobStep, JobKind, JobState } from '@elastic-notebook/protocol';

/** What a job's task gets to report and to notice cancellation. */
export interface IJobContext {
  /** Aborted when the job is cancelled. */
  readonly signal: AbortSignal;
  /** Announce the step the task starts now. */
  step(message: string): void;
  /** Report transfer progress. */
  progress(bytesDone: number, bytesTotal: number): void;
}

/** Steps kept per job (a restore of a long history announces one per re-run). */
const MAX_STEPS = 500;

/** Orders jobs started within the same millisecond. */
let started = 0;

/** One job and its state. */
export class Job implements IJobContext {
  readonly id = randomBytes(8).toString('hex');
  /** Increases with every job started in this process. */
  readonly seq = ++started;
  readonly createdAt = new Date();
  private readonly controller = new AbortController();
  private _state: JobState = 'running';
  private _steps: IJobStep[] = [];
  private _dropped = 0;
  private _progress: IJobProgress | null = null;
  private _result: unknown = null;
  private _error: string | null = null;
  private _errorCode: IJobJSON['errorCode'];
  private _finishedAt: Date | null = null;

  constructor(
    readonly kind: JobKind,
    readonly kernelId: string,
    readonly uri: string
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get state(): JobState {
    return this._state;
  }

  /** When it ended, or null while it runs. */
  get finishedAt(): Date | null {
    return this._finishedAt;
  }

  step(message: string): void {
    if (this._state !== 'running') {
      return;
    }
    this._steps.push({ message, at: new Date().toISOString() });
    if (this._steps.length > MAX_STEPS) {
      this._steps.splice(1, 1); // keep the first step, drop the oldest after it
      this._dropped += 1;
    }
    this._progress = null; // a new step starts without a transfer
  }

  progress(bytesDone: number, bytesTotal: number): void {
    if (this._state === 'running') {
      this._progress = { bytesDone, bytesTotal };
    }
  }

  /** Ask the task to stop; false when the job has already ended. */
  cancel(): boolean {
    if (this._state !== 'running') {
      return false;
    }
    this.controller.abort();
    return true;
  }

  /** End the job with its task's result. */
  succeed(result: unknown): void {
    this.end('done', result, null);
  }

  /** End the job with its task's error (cancelled when a cancel was asked for). */
  fail(message: string, code?: IJobJSON['errorCode']): void {
    this.end(this.signal.aborted ? 'cancelled' : 'failed', null, message);
    if (this._state === 'failed') {
      this._errorCode = code;
    }
  }

  toJSON(): IJobJSON {
    const steps = this._dropped
      ? [this._steps[0], { message: `(${this._dropped} more steps)`, at: this._steps[1].at }, ...this._steps.slice(1)]
      : [...this._steps];
    return {
      id: this.id,
      kind: this.kind,
      kernelId: this.kernelId,
      uri: this.uri,
      state: this._state,
      steps,
      progress: this._progress,
      cancelRequested: this.signal.aborted,
      result: this._result,
      error: this._error,
      ...(this._errorCode ? { errorCode: this._errorCode } : {}),
      createdAt: this.createdAt.toISOString(),
      finishedAt: this._finishedAt?.toISOString() ?? null
    };
  }

  private end(state: JobState, result: unknown, error: string | null): void {
    if (this._state !== 'running') {
      return;
    }
    this._state = state;
    this._result = result;
    this._error = error;
    this._progress = null;
    this._finishedAt = new Date();
  }
}
