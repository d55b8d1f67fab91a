import { Kernel } from '@jupyterlab/services';
import { ISignal } from '@lumino/signaling';
import { Token } from '@lumino/coreutils';
import type { CheckpointsModel } from './checkpoints/checkpointsModel';
import type { ICheckpointService } from './checkpoints/checkpointService';
import type { HistoryModel } from './history/historyModel';
import type { IHistoryService } from './history/historyService';
import type { NotebookMarks } from './marks/marksModel';
import type { PlanModel } from './plan/planModel';
import type { IPlanService } from './plan/planService';
import type { TargetsModel } from './targets/targetsModel';
import type { ITargetsService } from './targets/targetsService';

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

/**
 * The Elastic Notebook session models of the current notebook, and the services they talk to
 * the companion through. They follow the notebook tracker's current notebook; other extensions
 * read them (and listen to their `changed` signals) instead of calling the routes themselves.
 */
export interface IElasticNotebook {
  /** The current notebook's kernel history (its executions and variables). */
  readonly history: HistoryModel;
  /** The current notebook's checkpoint marks. */
  readonly marks: NotebookMarks;
  /** The replication plan of the current kernel under the chosen objective and the marks. */
  readonly plan: PlanModel;
  /** The checkpoints under the configured root and the jobs of the current kernel. */
  readonly checkpoints: CheckpointsModel;
  /** The targets the session can move to, with their machines; `selected` is the one picked. */
  readonly targets: TargetsModel;
  /** The companion's routes, one service per resource. */
  readonly services: {
    readonly history: IHistoryService;
    readonly plan: IPlanService;
    readonly checkpoints: ICheckpointService;
    readonly targets: ITargetsService;
  };
}

/** The Elastic Notebook models and services token. */
export const IElasticNotebook = new Token<IElasticNotebook>(
  'elastic-notebook:IElasticNotebook',
  'The Elastic Notebook models (history, marks, plan, checkpoints, targets) of the current notebook, and their services.'
);
