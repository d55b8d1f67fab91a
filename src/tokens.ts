import { Kernel } from '@jupyterlab/services';
import { ISignal } from '@lumino/signaling';
import { Token } from '@lumino/coreutils';

/** Whether the agent records in a kernel, and why not when it does not. */
export interface IAgentStatus {
  active: boolean;
  /** Why recording is off (kernel language, bootstrap error...). */
  reason?: string;
}

/** Loads the Elastic Notebook agent into kernels and tells when it is ready. */
export interface IKernelBootstrapper {
  /**
   * Resolve once the agent is loaded in `kernel` (bootstrapping it if needed): `active: false`
   * when it cannot be (not an IPython kernel, server error); never rejects.
   */
  ready(kernel: Kernel.IKernelConnection): Promise<IAgentStatus>;
  /** The last known status for a kernel, without starting anything. */
  statusOf(kernel: Kernel.IKernelConnection): IAgentStatus | undefined;
  /** Emitted when a kernel's agent status changes. */
  readonly statusChanged: ISignal<IKernelBootstrapper, Kernel.IKernelConnection>;
  /** Emitted after a recorded cell finished running in a kernel. */
  readonly cellExecuted: ISignal<IKernelBootstrapper, Kernel.IKernelConnection>;
  /** Called by the cell executor after a recorded cell ran. */
  notifyExecuted(kernel: Kernel.IKernelConnection): void;
}

/** The bootstrapper token. */
export const IKernelBootstrapper = new Token<IKernelBootstrapper>(
  'elastic-notebook:IKernelBootstrapper',
  'Loads the Elastic Notebook agent into kernels.'
);
