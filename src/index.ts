import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { INotebookCellExecutor, INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { KernelBootstrapper } from './bootstrap';
import { HistoryPanel } from './components/HistoryPanel';
import { InterceptingCellExecutor } from './executor';
import { HistoryModel } from './model';
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

/** The "Elastic Notebook" sidebar panel showing the current notebook's history. */
const panelPlugin: JupyterFrontEndPlugin<void> = {
  id: 'elastic-notebook:panel',
  description: 'The Elastic Notebook sidebar panel.',
  autoStart: true,
  requires: [IKernelBootstrapper, INotebookTracker],
  optional: [ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    bootstrapper: IKernelBootstrapper,
    tracker: INotebookTracker,
    restorer: ILayoutRestorer | null
  ) => {
    const model = new HistoryModel(bootstrapper);
    const panel = new HistoryPanel(model);
    app.shell.add(panel, 'left', { rank: 850 });
    restorer?.add(panel, 'elastic-notebook');
    // The panel follows the current notebook and whatever kernel it is connected to.
    const follow = () => {
      const current = tracker.currentWidget;
      model.setKernel(current?.sessionContext.session?.kernel ?? null, current?.context.path ?? null);
    };
    tracker.widgetAdded.connect((_, notebook) => {
      notebook.sessionContext.kernelChanged.connect(() => {
        if (tracker.currentWidget === notebook) {
          follow();
        }
      });
    });
    tracker.currentChanged.connect(follow);
    follow();
  }
};

export default [bootstrapPlugin, autoloadPlugin, executorPlugin, panelPlugin];
