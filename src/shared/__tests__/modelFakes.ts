/**
 * Fakes for the model specs: kernels, a bootstrapper, wire objects and promises resolved by hand.
 * Not a spec (jest runs `*.spec.ts` only).
 */
import { Kernel } from '@jupyterlab/services';
import { Signal } from '@lumino/signaling';
import type { IHistoryGraph, PlanResponse } from '@elastic-notebook/protocol';
import type { IAgentStatus, IKernelBootstrapper } from '../../tokens';
import { execution } from './viewFixtures';

/** A kernel connection as far as the models look at it: its id and name. */
export function fakeKernel(id: string): Kernel.IKernelConnection {
  return { id, name: 'python3' } as Kernel.IKernelConnection;
}

/** A bootstrapper whose kernels are ready at once (or when `hold` is released) and active. */
export class FakeBootstrapper implements IKernelBootstrapper {
  readonly statusChanged: Signal<IKernelBootstrapper, Kernel.IKernelConnection> = new Signal(this);
  readonly cellExecuted: Signal<IKernelBootstrapper, Kernel.IKernelConnection> = new Signal(this);
  /** While set, `ready` waits for it. */
  hold: Promise<void> | null = null;

  async ready(kernel: Kernel.IKernelConnection): Promise<IAgentStatus> {
    await this.hold;
    this.statuses.set(kernel.id, { active: true });
    return { active: true };
  }

  statusOf(kernel: Kernel.IKernelConnection): IAgentStatus | undefined {
    return this.statuses.get(kernel.id);
  }

  notifyExecuted(kernel: Kernel.IKernelConnection): void {
    this.cellExecuted.emit(kernel);
  }

  readonly statuses = new Map<string, IAgentStatus>();
}

/** A promise and the functions that settle it. */
export interface IDeferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: Error) => void;
}

export function deferred<T>(): IDeferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: Error) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

/** Let pending promise callbacks run. */
export const settle = (): Promise<void> => new Promise(resolve => setTimeout(resolve, 0));

/** Wait `ms` of real time (debounced refreshes). */
export const wait = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms));

/** A history graph of `executions` executions `x = i` in a kernel's run. */
export function graphOf(kernelId: string, executions: number, runId = 'run-1'): IHistoryGraph {
  return {
    kernelId,
    runId,
    executions: Array.from({ length: executions }, (_, index) => execution(index, { durationMs: 1 })),
    variables: executions
      ? [{ name: 'x', version: executions - 1, producedBy: executions - 1, active: true, info: null }]
      : [],
    groups: executions ? [['x']] : []
  };
}

/** A plan answer telling which request it answers by its message. */
export function planAnswer(kernelId: string, message: string, executions = 1): PlanResponse {
  return {
    feasible: false,
    objective: 'balanced',
    infeasibility: { variables: ['x'], executions: [0], message, suggestions: [] },
    planMs: 1,
    kernelId,
    runId: 'run-1',
    executions
  };
}
