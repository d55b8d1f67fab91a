import { Kernel, KernelMessage } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';
import { requestAPI } from '../shared/api';
import { IAgentStatus, IKernelBootstrapper } from '../tokens';

interface IState {
  promise: Promise<IAgentStatus>;
  status?: IAgentStatus;
}

/**
 * Loads the agent into each kernel once per kernel process: on first use, and again after every
 * restart (a restart keeps the connection object but empties the kernel).
 */
export class KernelBootstrapper implements IKernelBootstrapper {
  get statusChanged(): ISignal<this, Kernel.IKernelConnection> {
    return this._statusChanged;
  }

  get cellExecuted(): ISignal<this, Kernel.IKernelConnection> {
    return this._cellExecuted;
  }

  ready(kernel: Kernel.IKernelConnection): Promise<IAgentStatus> {
    let state = this._states.get(kernel);
    if (!state) {
      this._watch(kernel);
      const promise = this._bootstrap(kernel).then(status => {
        if (this._states.get(kernel) === state) {
          state!.status = status;
          this._statusChanged.emit(kernel);
        }
        return status;
      });
      state = { promise };
      this._states.set(kernel, state);
    }
    return state.promise;
  }

  statusOf(kernel: Kernel.IKernelConnection): IAgentStatus | undefined {
    return this._states.get(kernel)?.status;
  }

  notifyExecuted(kernel: Kernel.IKernelConnection): void {
    this._cellExecuted.emit(kernel);
  }

  private async _bootstrap(kernel: Kernel.IKernelConnection): Promise<IAgentStatus> {
    try {
      const spec = await kernel.spec;
      if (spec && spec.language && spec.language.toLowerCase() !== 'python') {
        return { active: false, reason: `the ${spec.display_name} kernel is not a Python kernel` };
      }
      const { code } = await requestAPI<{ code: string }>(`kernels/${kernel.id}/bootstrap`);
      const future = kernel.requestExecute({ code, silent: true, store_history: false }, true);
      const reply = (await future.done) as KernelMessage.IExecuteReplyMsg;
      if (reply.content.status !== 'ok') {
        const content = reply.content as KernelMessage.IReplyErrorContent;
        return { active: false, reason: `loading the agent failed: ${content.ename}: ${content.evalue}` };
      }
      return { active: true };
    } catch (error) {
      // Server unreachable, extension missing or companion down: cells then run unwrapped.
      return { active: false, reason: `loading the agent failed: ${(error as Error).message}` };
    }
  }

  /** Forget a kernel's agent when the kernel restarts or goes away, and re-load it eagerly. */
  private _watch(kernel: Kernel.IKernelConnection): void {
    if (this._watched.has(kernel)) {
      return;
    }
    this._watched.add(kernel);
    let restarting = false;
    kernel.statusChanged.connect((_, status) => {
      if (status === 'restarting' || status === 'autorestarting' || status === 'dead') {
        restarting = status !== 'dead';
        if (this._states.delete(kernel)) {
          this._statusChanged.emit(kernel);
        }
      } else if (status === 'idle' && restarting) {
        restarting = false;
        void this.ready(kernel);
      }
    });
    kernel.disposed.connect(() => {
      this._states.delete(kernel);
      this._watched.delete(kernel);
    });
  }

  private _states = new Map<Kernel.IKernelConnection, IState>();
  private _watched = new Set<Kernel.IKernelConnection>();
  private _statusChanged = new Signal<this, Kernel.IKernelConnection>(this);
  private _cellExecuted = new Signal<this, Kernel.IKernelConnection>(this);
}
