import { Kernel } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

/** How a fetch started by `KernelScopedModel.fetchLatest` is judged still wanted when it answers. */
export interface IFetchOptions {
  /** Prefix of the error kept when the fetch fails ("could not plan" gives "could not plan: ..."). */
  failure: string;
  /** Whether the answer is about the shown kernel, so that it is dropped once another is shown. */
  ofKernel: boolean;
}

/**
 * The lifecycle every panel model shares: the kernel (and notebook path) shown, whether a view
 * shows the model, the fetches under way, the last error, `changed`, and disposal. Subclasses say
 * what to fetch (`refresh`) and what to reset when the kernel changes (`onKernelChanged`).
 */
export abstract class KernelScopedModel implements IDisposable {
  /** Emitted whenever anything the views show changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The kernel shown, if any. */
  get kernel(): Kernel.IKernelConnection | null {
    return this._kernel;
  }

  /** The path (relative to the Jupyter root) of the notebook shown, if any. */
  get notebookPath(): string | null {
    return this._notebookPath;
  }

  /** Why the last fetch failed, or null when it succeeded. */
  get error(): string | null {
    return this._error;
  }

  /** Whether a fetch is under way. */
  get loading(): boolean {
    return this._loading > 0;
  }

  /** Whether a view shows the model. A hidden model does not fetch on its own. */
  get visible(): boolean {
    return this._visible;
  }
  set visible(value: boolean) {
    if (value === this._visible) {
      return;
    }
    this._visible = value;
    this.onVisibilityChanged(value);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Show another notebook (its path relative to the Jupyter root) and kernel, or none. */
  setKernel(kernel: Kernel.IKernelConnection | null, notebookPath: string | null = null): void {
    if (kernel === this._kernel && notebookPath === this._notebookPath) {
      return;
    }
    const kernelChanged = kernel !== this._kernel;
    this._kernel = kernel;
    this._notebookPath = notebookPath;
    if (kernelChanged) {
      this.onKernelChanged(kernel);
    }
    this._changed.emit();
  }

  /** Fetch what the model shows now. Never rejects: a failure is kept in `error`. */
  abstract refresh(): Promise<void>;

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.onDisposed();
    Signal.clearData(this);
  }

  /**
   * Run `fetch` and hand its answer to `apply` only if no later fetch was started meanwhile
   * (answers can arrive out of order) and, for kernel answers, the same kernel is still shown.
   * A failure keeps what the model showed and sets `error`; a success clears it.
   */
  protected async fetchLatest<T>(
    fetch: () => Promise<T>,
    apply: (answer: T) => void,
    options: IFetchOptions
  ): Promise<void> {
    if (this._isDisposed) {
      return;
    }
    const request = ++this._requests;
    const kernel = this._kernel;
    this._loading++;
    this._changed.emit();
    let outcome: { answer: T } | { error: string };
    try {
      outcome = { answer: await fetch() };
    } catch (reason) {
      outcome = { error: `${options.failure}: ${(reason as Error).message}` };
    } finally {
      this._loading--;
    }
    if (this._isDisposed) {
      return;
    }
    if (request === this._requests && (!options.ofKernel || kernel === this._kernel)) {
      if ('answer' in outcome) {
        apply(outcome.answer);
        this._error = null;
      } else {
        this._error = outcome.error;
      }
    }
    this._changed.emit();
  }

  /** Tell the views something changed. */
  protected emitChanged(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  /** Forget the last error (the answer it was about no longer applies). */
  protected clearError(): void {
    this._error = null;
  }

  /** Called when a view starts or stops showing the model: showing it fetches at once. */
  protected onVisibilityChanged(visible: boolean): void {
    if (visible) {
      void this.refresh();
    }
  }

  /** Called when another kernel (or none) is shown, before `changed` is emitted. */
  protected onKernelChanged(_kernel: Kernel.IKernelConnection | null): void {
    // Nothing by default.
  }

  /** Called once when the model is disposed, before its signals are cleared. */
  protected onDisposed(): void {
    // Nothing by default.
  }

  private _kernel: Kernel.IKernelConnection | null = null;
  private _notebookPath: string | null = null;
  private _error: string | null = null;
  private _loading = 0;
  private _requests = 0;
  private _visible = false;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}
