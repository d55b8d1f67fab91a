import { Kernel } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { Debouncer } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import { ApiError, requestAPI } from '../shared/api';
import type { IHistoryGraph } from '@elastic-notebook/protocol';
import { IAgentStatus, IKernelBootstrapper } from '../tokens';

/** How long the model waits after the last recorded cell before fetching the graph. */
const QUICK_REFRESH_MS = 300;
/**
 * The agent posts records from a background thread, so the last one can land a moment after
 * the cell's reply: a second, later fetch catches it.
 */
const SETTLE_REFRESH_MS = 2000;

/**
 * The history graph of the current notebook's kernel. It refetches the graph after recorded
 * cells ran (debounced) while a view shows it, and when a view is shown. Views listen to
 * `changed`.
 */
export class HistoryModel implements IDisposable {
  constructor(private readonly bootstrapper: IKernelBootstrapper) {
    bootstrapper.cellExecuted.connect(this._onKernelEvent, this);
    bootstrapper.statusChanged.connect(this._onKernelEvent, this);
  }

  /** Emitted whenever the graph, the kernel, the agent status or the error changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The kernel shown, if any. */
  get kernel(): Kernel.IKernelConnection | null {
    return this._kernel;
  }

  /** The path of the notebook shown, if any. */
  get notebookPath(): string | null {
    return this._path;
  }

  /** The last graph fetched; null while nothing was recorded in the kernel. */
  get graph(): IHistoryGraph | null {
    return this._graph;
  }

  /** The agent's status in the shown kernel (undefined while it is loading). */
  get agentStatus(): IAgentStatus | undefined {
    return this._kernel ? this.bootstrapper.statusOf(this._kernel) : undefined;
  }

  /** Why the last fetch failed, or null when it succeeded. */
  get error(): string | null {
    return this._error;
  }

  /**
   * Whether a view shows the model. A hidden model does not fetch; showing it fetches at once.
   */
  get visible(): boolean {
    return this._visible;
  }
  set visible(value: boolean) {
    if (value === this._visible) {
      return;
    }
    this._visible = value;
    if (value) {
      void this.refresh();
    }
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Show another notebook's kernel, or none. */
  setKernel(kernel: Kernel.IKernelConnection | null, path: string | null): void {
    if (kernel === this._kernel && path === this._path) {
      return;
    }
    this._kernel = kernel;
    this._path = path;
    this._graph = null;
    this._error = null;
    this._changed.emit();
    if (kernel) {
      // Fetch once the agent is loaded: before that the server may still show the previous run.
      void this.bootstrapper.ready(kernel).then(() => {
        if (this._visible) {
          return this.refresh();
        }
      });
    }
  }

  /** Fetch the shown kernel's graph now. Never rejects: a failure is kept in `error`. */
  async refresh(): Promise<void> {
    const kernel = this._kernel;
    if (!kernel || this._isDisposed) {
      return;
    }
    // Only the latest request may update the model: answers can arrive out of order.
    const request = ++this._requests;
    let graph: IHistoryGraph | null = this._graph;
    let error: string | null = null;
    try {
      graph = await requestAPI<IHistoryGraph>(`kernels/${encodeURIComponent(kernel.id)}/graph`);
    } catch (reason) {
      if (reason instanceof ApiError && reason.status === 404 && reason.fromExtension) {
        // The extension knows no run for this kernel: nothing recorded yet, not an error.
        graph = null;
      } else {
        error = `could not load the history: ${(reason as Error).message}`;
      }
    }
    if (request !== this._requests || kernel !== this._kernel || this._isDisposed) {
      return;
    }
    this._graph = graph;
    this._error = error;
    this._changed.emit();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._quick.dispose();
    this._settle.dispose();
    Signal.clearData(this);
  }

  private _onKernelEvent(_: IKernelBootstrapper, kernel: Kernel.IKernelConnection): void {
    if (kernel !== this._kernel) {
      return;
    }
    // The status line changes at once; the graph follows once the records landed.
    this._changed.emit();
    if (this._visible) {
      this._quick.invoke().catch(() => undefined);
      this._settle.invoke().catch(() => undefined);
    }
  }

  private _kernel: Kernel.IKernelConnection | null = null;
  private _path: string | null = null;
  private _graph: IHistoryGraph | null = null;
  private _error: string | null = null;
  private _visible = false;
  private _isDisposed = false;
  private _requests = 0;
  private _quick = new Debouncer(() => this.refresh(), QUICK_REFRESH_MS);
  private _settle = new Debouncer(() => this.refresh(), SETTLE_REFRESH_MS);
  private _changed = new Signal<this, void>(this);
}
