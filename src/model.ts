import { Kernel } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';
import { requestAPI } from './api';
import { IAgentStatus, IKernelBootstrapper } from './tokens';

/** One cell execution of the history graph (docs/internals.md section 6). */
export interface IExecution {
  index: number;
  cellIndex: number | null;
  cellId: string | null;
  executionCount: number | null;
  code: string;
  durationMs: number;
  error: string | null;
  reads: string[];
  writes: string[];
  deletes: string[];
}

/** One variable snapshot of the history graph. */
export interface IVariable {
  name: string;
  version: number;
  producedBy: number | null;
  active: boolean;
}

/** The history graph of a kernel's current run. */
export interface IHistoryGraph {
  kernelId: string;
  runId: string;
  executions: IExecution[];
  variables: IVariable[];
  groups: string[][];
}

/**
 * The history graph of the current notebook's kernel, refreshed after each recorded cell. Views
 * listen to `changed`.
 */
export class HistoryModel {
  constructor(private readonly bootstrapper: IKernelBootstrapper) {
    bootstrapper.cellExecuted.connect((_, kernel) => {
      if (kernel === this._kernel) {
        this._scheduleRefresh();
      }
    });
    bootstrapper.statusChanged.connect((_, kernel) => {
      if (kernel === this._kernel) {
        this._scheduleRefresh();
      }
    });
  }

  /** Emitted whenever the graph, the kernel or the status changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The kernel shown, if any. */
  get kernel(): Kernel.IKernelConnection | null {
    return this._kernel;
  }

  /** The notebook shown, if any. */
  get notebookPath(): string | null {
    return this._path;
  }

  /** The last graph fetched (null before the first recorded cell). */
  get graph(): IHistoryGraph | null {
    return this._graph;
  }

  /** The agent's status in the shown kernel. */
  get agentStatus(): IAgentStatus | undefined {
    return this._kernel ? this.bootstrapper.statusOf(this._kernel) : undefined;
  }

  /** The last error talking to the server, if the last refresh failed. */
  get error(): string | null {
    return this._error;
  }

  /** Show another notebook's kernel (or none). */
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
      void this.bootstrapper.ready(kernel).then(() => this.refresh());
    }
  }

  /** Fetch the graph now. */
  async refresh(): Promise<void> {
    const kernel = this._kernel;
    if (!kernel) {
      return;
    }
    try {
      const graph = await requestAPI<IHistoryGraph>(`kernels/${kernel.id}/graph`);
      if (kernel !== this._kernel) {
        return;
      }
      this._graph = graph;
      this._error = null;
    } catch (error) {
      if (kernel !== this._kernel) {
        return;
      }
      const message = (error as Error).message;
      // 404: nothing recorded yet for this kernel, which is not an error.
      this._error = message.startsWith('404') ? null : message;
      if (message.startsWith('404')) {
        this._graph = null;
      }
    }
    this._changed.emit();
  }

  /** Records reach the server a moment after the cell ends: look twice. */
  private _scheduleRefresh(): void {
    for (const delay of [250, 1500]) {
      setTimeout(() => void this.refresh(), delay);
    }
  }

  private _kernel: Kernel.IKernelConnection | null = null;
  private _path: string | null = null;
  private _graph: IHistoryGraph | null = null;
  private _error: string | null = null;
  private _changed = new Signal<this, void>(this);
}
