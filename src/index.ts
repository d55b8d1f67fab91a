import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookCellExecutor, INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { KernelBootstrapper } from './kernel/bootstrap';
import { checkpointActions } from './checkpoints/checkpointActions';
import { addCheckpointCommand } from './checkpoints/checkpointCommand';
import { migrationActions } from './targets/migrationActions';
import { HistoryPanel } from './panel/HistoryPanel';
import { InterceptingCellExecutor } from './kernel/executor';
import { JobNotifier } from './checkpoints/jobNotifier';
import { addNeverRerunCommand } from './marks/neverRerunCommand';
import { addNeverRerunCue } from './marks/neverRerunCue';
import { ElasticNotebook } from './core/elasticNotebook';
import { IElasticNotebook, IKernelBootstrapper } from './tokens';

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

/** The id of the panel plugin, whose settings (schema/panel.json) configure the session models too. */
const PANEL_PLUGIN_ID = 'elastic-notebook:panel';

/** The session models over the companion's services, for the panel and for other extensions. */
const corePlugin: JupyterFrontEndPlugin<IElasticNotebook> = {
  id: 'elastic-notebook:core',
  description: 'The Elastic Notebook session models (history, marks, plan, checkpoints) and services.',
  autoStart: true,
  provides: IElasticNotebook,
  requires: [IKernelBootstrapper, INotebookTracker],
  optional: [ISettingRegistry],
  activate: (
    _app: JupyterFrontEnd,
    bootstrapper: IKernelBootstrapper,
    tracker: INotebookTracker,
    settingRegistry: ISettingRegistry | null
  ): IElasticNotebook => {
    const session = new ElasticNotebook(bootstrapper, tracker);
    void settingRegistry?.load(PANEL_PLUGIN_ID).then(settings => session.useSettings(settings));
    return session;
  }
};

/**
 * The "Elastic Notebook" sidebar panel showing the current notebook's history, plan and
 * checkpoints, the job notifications and the notebook toolbar's "Checkpoint session" button.
 */
const panelPlugin: JupyterFrontEndPlugin<void> = {
  id: PANEL_PLUGIN_ID,
  description: 'The Elastic Notebook sidebar panel and the "Checkpoint session" button.',
  autoStart: true,
  requires: [IElasticNotebook, INotebookTracker],
  optional: [ILayoutRestorer, ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    session: IElasticNotebook,
    tracker: INotebookTracker,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ) => {
    const { history, marks, plan, checkpoints, targets } = session;
    new JobNotifier(checkpoints);
    const actions = checkpointActions(checkpoints);
    const migration = migrationActions(tracker, { checkpoints, targets, plan, marks });
    const panel = new HistoryPanel(
      history,
      marks,
      plan,
      checkpoints,
      actions,
      translator ?? nullTranslator,
      targets,
      migration
    );
    app.shell.add(panel, 'left', { rank: 850 });
    restorer?.add(panel, 'elastic-notebook');
    addCheckpointCommand(app, tracker, checkpoints, () => plan.objective, palette);
  }
};

export default [bootstrapPlugin, autoloadPlugin, executorPlugin, marksPlugin, corePlugin, panelPlugin];

export * from './tokens';
