import { Kernel } from '@jupyterlab/services';
import { Debouncer } from '@lumino/polling';
import { DEFAULT_OBJECTIVE, type Objective, type PlanResponse } from '@elastic-notebook/protocol';
import { NotebookMarks } from '../marks/marksModel';
import { HistoryModel } from '../history/historyModel';
import { KernelScopedModel } from '../shared/kernelScopedModel';
import { IPlanService, planService } from './planService';

/** How long the plan waits after the last change (new executions, marks) before refetching. */
const PLAN_DEBOUNCE_MS = 400;

/**
 * The replication plan of the current notebook's kernel, under the chosen objective and the
 * notebook's marks. It follows the history model (its kernel and whether it is shown) and
 * refetches (debounced) when the history shows new executions or the marks change, at once when
 * the objective changes or on `refresh()`, and only while the history is shown. Views listen to
 * `changed`.
 */
export class PlanModel extends KernelScopedModel {
  constructor(
    private readonly history: HistoryModel,
    private readonly marks: NotebookMarks,
    private readonly service: IPlanService = planService
  ) {
    super();
    this.setKernel(history.kernel, history.notebookPath);
    this.visible = history.visible;
    history.changed.connect(this._onHistoryChanged, this);
    marks.changed.connect(this._onMarksChanged, this);
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
    this.emitChanged();
    void this.refresh();
  }

  /** The last plan fetched for the shown kernel; null while there is none (nothing recorded). */
  get plan(): PlanResponse | null {
    return this._plan;
  }

  /** Fetch the plan now. Never rejects: a failure is kept in `error`. */
  refresh(): Promise<void> {
    const kernel = this.kernel;
    if (!kernel) {
      return Promise.resolve();
    }
    this._stale = false;
    const request = { objective: this._objective, marks: this.marks.marks() };
    return this.fetchLatest(
      () => this.service.plan(kernel.id, request),
      plan => (this._plan = plan),
      { failure: 'could not plan', ofKernel: true }
    );
  }

  /** Shown again: plan now if something changed while hidden (the history refetches too). */
  protected onVisibilityChanged(visible: boolean): void {
    if (visible && this._stale) {
      this._schedule();
    }
  }

  protected onKernelChanged(_kernel: Kernel.IKernelConnection | null): void {
    this._plan = null;
    this.clearError();
  }

  protected onDisposed(): void {
    this._debouncer.dispose();
    this.history.changed.disconnect(this._onHistoryChanged, this);
    this.marks.changed.disconnect(this._onMarksChanged, this);
  }

  /** New executions, another run or another kernel: plan again (debounced). */
  private _onHistoryChanged(): void {
    const history = this.history;
    this.setKernel(history.kernel, history.notebookPath);
    this.visible = history.visible;
    const graph = history.graph;
    const key =
      history.kernel && graph ? `${history.kernel.id}\u0000${graph.runId}\u0000${graph.executions.length}` : '';
    if (key !== this._key || this._stale) {
      this._key = key;
      this._schedule();
    }
  }

  private _onMarksChanged(): void {
    this._schedule();
  }

  private _schedule(): void {
    // The history's own flag: it is hidden at once, while this model's copy follows its signal.
    if (this.history.visible) {
      this._debouncer.invoke().catch(() => undefined);
    } else {
      // Planned when the history is shown again.
      this._stale = true;
    }
  }

  private _objective: Objective = DEFAULT_OBJECTIVE;
  private _plan: PlanResponse | null = null;
  private _key = '';
  private _stale = false;
  private _debouncer = new Debouncer(() => this.refresh(), PLAN_DEBOUNCE_MS);
}
