import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IDisposable } from '@lumino/disposable';
import { Signal } from '@lumino/signaling';
import { isObjective } from '@elastic-notebook/protocol';
import { CheckpointsModel } from '../checkpoints/checkpointsModel';
import { checkpointService } from '../checkpoints/checkpointService';
import { storageSettings } from '../checkpoints/storageSettings';
import { HistoryModel } from '../history/historyModel';
import { historyService } from '../history/historyService';
import { NotebookMarks } from '../marks/marksModel';
import { PlanModel } from '../plan/planModel';
import { planService } from '../plan/planService';
import { TargetsModel } from '../targets/targetsModel';
import { targetsService } from '../targets/targetsService';
import { IElasticNotebook, IKernelBootstrapper } from '../tokens';

/**
 * The session models, built once over the companion's services, following the tracker's
 * current notebook (its marks, its path and whatever kernel it is connected to).
 */
export class ElasticNotebook implements IElasticNotebook, IDisposable {
  constructor(
    bootstrapper: IKernelBootstrapper,
    private readonly tracker: INotebookTracker,
    readonly services: IElasticNotebook['services'] = {
      history: historyService,
      plan: planService,
      checkpoints: checkpointService,
      targets: targetsService
    }
  ) {
    this.history = new HistoryModel(bootstrapper, services.history);
    this.marks = new NotebookMarks();
    this.plan = new PlanModel(this.history, this.marks, services.plan);
    this.checkpoints = new CheckpointsModel(services.checkpoints);
    this.targets = new TargetsModel(services.targets);
    // A restore restarted the kernel: its history is the restored one now.
    this.checkpoints.restoreEnded.connect(() => void this.history.refresh(), this);
    tracker.widgetAdded.connect((_, notebook) => {
      const followIfCurrent = () => {
        if (tracker.currentWidget === notebook) {
          this._follow();
        }
      };
      notebook.sessionContext.kernelChanged.connect(followIfCurrent, this);
      notebook.context.pathChanged.connect(followIfCurrent, this); // renamed: its checkpoints are matched by path
    }, this);
    tracker.currentChanged.connect(this._follow, this);
    this._follow();
  }

  readonly history: HistoryModel;
  readonly marks: NotebookMarks;
  readonly plan: PlanModel;
  readonly checkpoints: CheckpointsModel;
  readonly targets: TargetsModel;

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Take the default objective and the checkpoint storage from the extension's settings, now and
   * whenever they change (the panel's selector changes the objective for the session only).
   */
  useSettings(settings: ISettingRegistry.ISettings): void {
    const apply = () => {
      const objective = settings.composite.defaultObjective;
      if (isObjective(objective)) {
        this.plan.objective = objective;
      }
      this.checkpoints.storage = storageSettings(settings);
    };
    settings.changed.connect(apply, this);
    apply();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.disconnectReceiver(this);
    this.plan.dispose();
    this.checkpoints.dispose();
    this.targets.dispose();
    this.history.dispose();
    this.marks.dispose();
  }

  private _follow(): void {
    const current = this.tracker.currentWidget;
    const kernel = current?.sessionContext.session?.kernel ?? null;
    const path = current?.context.path ?? null;
    this.marks.setNotebook(current?.context.model ?? null);
    this.history.setKernel(kernel, path);
    this.checkpoints.setKernel(kernel, path);
    this.targets.setKernel(kernel, path);
  }

  private _isDisposed = false;
}
