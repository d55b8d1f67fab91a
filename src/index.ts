import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookCellExecutor, INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { KernelBootstrapper } from './kernel/bootstrap';
import { checkpointActions } from './checkpoints/checkpointActions';
import { addCheckpointCommand } from './checkpoints/checkpointCommand';
import { CheckpointsModel } from './checkpoints/checkpointsModel';
import { HistoryPanel } from './panel/HistoryPanel';
import { InterceptingCellExecutor } from './kernel/executor';
import { JobNotifier } from './checkpoints/jobNotifier';
import { NotebookMarks } from './marks/marksModel';
import { HistoryModel } from './history/historyModel';
import { addNeverRerunCommand } from './marks/neverRerunCommand';
import { addNeverRerunCue } from './marks/neverRerunCue';
import { isObjective, type Objective } from '@elastic-notebook/protocol';
import { PlanModel } from './plan/planModel';
import { storageSettings } from './checkpoints/storageSettings';
import { IKernelBootstrapper } from './tokens';

/** The agent loader (it depends on no notebook plugin: the notebook tracker needs the executor). */
const bootstrapPlugin: JupyterFrontEndPlugin<IKernelBootstrapper> = {
  id: 'elastic-notebook:bootstrap',
  description: 'Loads the Elastic Notebook agent into notebook kernels.',
  autoStart: true,
  provides: IKernelBootstrapper,
  activate: (): IKernelBootstrapper => new KernelBootstrapper()
};

/** Loads the agent as soon as a notebook's kernel starts or changes, not only at the first run. */
const autoloadPlugin: JupyterFrontEndPlugin<void> = {
  id: 'elastic-notebook:autoload',
  description: 'Loads the Elastic Notebook agent into each notebook kernel on start and change.',
  autoStart: true,
  requires: [IKernelBootstrapper, INotebookTracker],
  activate: (_app: JupyterFrontEnd, bootstrapper: IKernelBootstrapper, tracker: INotebookTracker) => {
    tracker.widgetAdded.connect((_, panel: NotebookPanel) => {
      const load = () => {
        const kernel = panel.sessionContext.session?.kernel;
        if (kernel) {
          void bootstrapper.ready(kernel);
        }
      };
      panel.sessionContext.kernelChanged.connect(load);
      void panel.sessionContext.ready.then(load);
    });
  }
};

/** Replaces JupyterLab's cell executor so that cells run under the hidden `%%intercept`. */
const executorPlugin: JupyterFrontEndPlugin<INotebookCellExecutor> = {
  id: 'elastic-notebook:cell-executor',
  description: 'Runs notebook cells through the Elastic Notebook data layer.',
  autoStart: true,
  provides: INotebookCellExecutor,
  requires: [IKernelBootstrapper],
  activate: (_app: JupyterFrontEnd, bootstrapper: IKernelBootstrapper): INotebookCellExecutor =>
    new InterceptingCellExecutor(bootstrapper)
};

/** "Never re-run this cell" (cell context menu, command palette) and the cue on marked cells. */
const marksPlugin: JupyterFrontEndPlugin<void> = {
  id: 'elastic-notebook:marks',
  description: 'Marks cells that must never be re-run when a session is restored.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette],
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker, palette: ICommandPalette | null) => {
    addNeverRerunCommand(app, tracker, palette);
    tracker.forEach(addNeverRerunCue);
    tracker.widgetAdded.connect((_, panel) => addNeverRerunCue(panel));
  }
};

/** The objective in the settings, when it is one. */
function objectiveSetting(settings: ISettingRegistry.ISettings): Objective | null {
  const value = settings.composite.defaultObjective;
  return isObjective(value) ? value : null;
}

/**
 * The "Elastic Notebook" sidebar panel showing the current notebook's history, plan and
 * checkpoints, and the notebook toolbar's "Checkpoint session" button.
 */
const panelPlugin: JupyterFrontEndPlugin<void> = {
  id: 'elastic-notebook:panel',
  description: 'The Elastic Notebook sidebar panel and the "Checkpoint session" button.',
  autoStart: true,
  requires: [IKernelBootstrapper, INotebookTracker],
  optional: [ILayoutRestorer, ISettingRegistry, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    bootstrapper: IKernelBootstrapper,
    tracker: INotebookTracker,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null
  ) => {
    const model = new HistoryModel(bootstrapper);
    const marks = new NotebookMarks();
    const plan = new PlanModel(model, marks);
    const checkpoints = new CheckpointsModel();
    new JobNotifier(checkpoints);
    const actions = checkpointActions(checkpoints);
    const panel = new HistoryPanel(model, marks, plan, checkpoints, actions);
    app.shell.add(panel, 'left', { rank: 850 });
    restorer?.add(panel, 'elastic-notebook');
    addCheckpointCommand(app, tracker, checkpoints, () => plan.objective, palette);
    // A restore restarted the kernel: its history is the restored one now.
    checkpoints.restoreEnded.connect(() => void model.refresh());
    // The objective starts from the settings; the panel's selector changes it for the session.
    void settingRegistry?.load(panelPlugin.id).then(settings => {
      const apply = () => {
        const objective = objectiveSetting(settings);
        if (objective) {
          plan.objective = objective;
        }
        checkpoints.storage = storageSettings(settings);
      };
      settings.changed.connect(apply);
      apply();
    });
    // The panel follows the current notebook (its marks) and whatever kernel it is connected to.
    const follow = () => {
      const current = tracker.currentWidget;
      const kernel = current?.sessionContext.session?.kernel ?? null;
      marks.setNotebook(current?.context.model ?? null);
      model.setKernel(kernel, current?.context.path ?? null);
      checkpoints.setKernel(kernel, current?.context.path ?? null);
    };
    tracker.widgetAdded.connect((_, notebook) => {
      const followIfCurrent = () => {
        if (tracker.currentWidget === notebook) {
          follow();
        }
      };
      notebook.sessionContext.kernelChanged.connect(followIfCurrent);
      notebook.context.pathChanged.connect(followIfCurrent); // renamed: its checkpoints are matched by path
    });
    tracker.currentChanged.connect(follow);
    follow();
  }
};

export default [bootstrapPlugin, autoloadPlugin, executorPlugin, marksPlugin, panelPlugin];
