import { Kernel } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { Debouncer } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import { ApiError } from '../shared/api';
import { NotebookMarks } from '../marks/marksModel';
import { HistoryModel } from '../history/historyModel';
import { DEFAULT_OBJECTIVE, type Objective, type PlanResponse } from '@elastic-notebook/protocol';
import { fetchPlan, PlanFetcher } from './planService';

/** How long the plan waits after the last change (new executions, marks) before refetching. */
const PLAN_DEBOUNCE_MS = 400;

/**
 * The replication plan of the current notebook's kernel, under the chosen objective and the
 * notebook's marks. It refetches (debounced) when the history shows new executions or the marks
 * change, at once when the objective changes or on `refresh()`, and only while the history is
 * shown. Views listen to `changed`.
 */
export class PlanModel implements IDisposable {
  constructor(
    private readonly history: HistoryModel,
    private readonly marks: NotebookMarks,
    private readonly fetcher: PlanFetcher = fetchPlan
  ) {
    history.changed.connect(this._onHistoryChanged, this);
    marks.changed.connect(this._onMarksChanged, this);
  }

  /** Emitted when the plan, the objective, the loading state or the error changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The objective plans are asked for. Changing it refetches the plan at once. */
  get objective(): Objective {
    return this._objective;
  }
  set objective(value: Objective) {
    if (value === this._objective) {
      return;
    }
    this._objective = value;
    this._changed.emit();
    void this.refresh();
  }

  /** The last plan fetched for the shown kernel; null while there is none (nothing recorded). */
  get plan(): PlanResponse | null {
    return this._plan;
  }

  /** Why the last fetch failed, or null. */
  get error(): string | null {
    return this._error;
  }

  /** Whether a fetch is under way. */
  get loading(): boolean {
    return this._loading > 0;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Fetch the plan now. Never rejects: a failure is kept in `error`. */
  async refresh(): Promise<void> {
    const kernel = this.history.kernel;
    if (!kernel || this._isDisposed) {
      return;
    }
    const request = ++this._requests;
    this._stale = false;
    this._loading++;
    this._changed.emit();
    let plan: PlanResponse | null = null;
    let error: string | null = null;
    try {
      plan = await this.fetcher(kernel.id, { objective: this._objective, marks: this.marks.marks() });
    } catch (reason) {
      // A 404 from the extension: nothing recorded in this kernel yet, so no plan (not an error).
      if (!(reason instanceof ApiError && reason.status === 404 && reason.fromExtension)) {
        error = `could not plan: ${(reason as Error).message}`;
        plan = this._plan;
      }
    } finally {
      this._loading--;
    }
    // Only the latest request may set the plan: answers can arrive out of order.
    if (request !== this._requests || kernel !== this.history.kernel || this._isDisposed) {
      this._changed.emit();
      return;
    }
    this._setResult(plan, error);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._debouncer.dispose();
    Signal.clearData(this);
  }

  private _setResult(plan: PlanResponse | null, error: string | null): void {
    this._plan = plan;
    this._error = error;
    this._changed.emit();
  }

  /** New executions, another run or another kernel: plan again (debounced). */
  private _onHistoryChanged(): void {
    const kernel = this.history.kernel;
    const graph = this.history.graph;
    const key = kernel && graph ? `${kernel.id}\u0000${graph.runId}\u0000${graph.executions.length}` : '';
    if (kernel !== this._kernel) {
      this._kernel = kernel;
      this._setResult(null, null);
    }
    if (key !== this._key || this._stale) {
      this._key = key;
      this._schedule();
    }
  }

  private _onMarksChanged(): void {
    this._schedule();
  }

  private _schedule(): void {
    if (this.history.visible) {
      this._debouncer.invoke().catch(() => undefined);
    } else {
      // Planned when the history is shown again (it refetches and emits then).
      this._stale = true;
    }
  }

  private _objective: Objective = DEFAULT_OBJECTIVE;
  private _plan: PlanResponse | null = null;
  private _error: string | null = null;
  private _loading = 0;
  private _requests = 0;
  private _kernel: Kernel.IKernelConnection | null = null;
  private _key = '';
  private _stale = false;
  private _isDisposed = false;
  private _debouncer = new Debouncer(() => this.refresh(), PLAN_DEBOUNCE_MS);
  private _changed = new Signal<this, void>(this);
}
