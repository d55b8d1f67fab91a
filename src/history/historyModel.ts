import { Kernel } from '@jupyterlab/services';
import { Debouncer } from '@lumino/polling';
import type { IHistoryGraph } from '@elastic-notebook/protocol';
import { KernelScopedModel } from '../shared/kernelScopedModel';
import { IAgentStatus, IKernelBootstrapper } from '../tokens';
import { historyService, IHistoryService } from './historyService';

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
export class HistoryModel extends KernelScopedModel {
  constructor(
    private readonly bootstrapper: IKernelBootstrapper,
    private readonly service: IHistoryService = historyService
  ) {
    super();
    bootstrapper.cellExecuted.connect(this._onKernelEvent, this);
    bootstrapper.statusChanged.connect(this._onKernelEvent, this);
  }

  /** The last graph fetched; null while nothing was recorded in the kernel. */
  get graph(): IHistoryGraph | null {
    return this._graph;
  }

  /** The agent's status in the shown kernel (undefined while it is loading). */
  get agentStatus(): IAgentStatus | undefined {
    return this.kernel ? this.bootstrapper.statusOf(this.kernel) : undefined;
  }

  /** Fetch the shown kernel's graph now. Never rejects: a failure is kept in `error`. */
  refresh(): Promise<void> {
    const kernel = this.kernel;
    if (!kernel) {
      return Promise.resolve();
    }
    return this.fetchLatest(
      () => this.service.graph(kernel.id),
      graph => (this._graph = graph),
      { failure: 'could not load the history', ofKernel: true }
    );
  }

  protected onKernelChanged(kernel: Kernel.IKernelConnection | null): void {
    this._graph = null;
    this.clearError();
    if (kernel) {
      // Fetch once the agent is loaded: before that the server may still show the previous run.
      void this.bootstrapper.ready(kernel).then(() => {
        if (this.visible && kernel === this.kernel) {
          return this.refresh();
        }
      });
    }
  }

  protected onDisposed(): void {
    this._quick.dispose();
    this._settle.dispose();
    this.bootstrapper.cellExecuted.disconnect(this._onKernelEvent, this);
    this.bootstrapper.statusChanged.disconnect(this._onKernelEvent, this);
  }

  private _onKernelEvent(_: IKernelBootstrapper, kernel: Kernel.IKernelConnection): void {
    if (kernel !== this.kernel) {
      return;
    }
    // The status line changes at once; the graph follows once the records landed.
    this.emitChanged();
    if (this.visible) {
      this._quick.invoke().catch(() => undefined);
      this._settle.invoke().catch(() => undefined);
    }
  }

  private _graph: IHistoryGraph | null = null;
  private _quick = new Debouncer(() => this.refresh(), QUICK_REFRESH_MS);
  private _settle = new Debouncer(() => this.refresh(), SETTLE_REFRESH_MS);
}
