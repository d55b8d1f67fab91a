import { JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { CheckpointsModel } from './checkpointsModel';
import { checkpointIcon } from '../shared/icon';
import { marksOf } from '../marks/marks';
import type { Objective } from '@elastic-notebook/protocol';

/** The command's id (the notebook toolbar's "Checkpoint session" button runs it). */
export const CHECKPOINT_SESSION = 'elastic-notebook:checkpoint-session';

/** The button's label and title (a contract: docs/contracts.md). */
export const CHECKPOINT_LABEL = 'Checkpoint session';

/**
 * Register "Checkpoint session": checkpoint the current notebook's kernel in the companion, with
 * the plan objective chosen in the panel and the notebook's marks. Progress and the outcome are
 * notifications (and the panel's Checkpoints section); the checkpoint goes on if the page closes.
 */
export function addCheckpointCommand(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  checkpoints: CheckpointsModel,
  objective: () => Objective,
  palette: ICommandPalette | null
): void {
  const kernelOf = () => tracker.currentWidget?.sessionContext.session?.kernel ?? null;
  app.commands.addCommand(CHECKPOINT_SESSION, {
    label: CHECKPOINT_LABEL,
    caption: CHECKPOINT_LABEL,
    icon: checkpointIcon,
    isEnabled: () => {
      const kernel = kernelOf();
      return kernel !== null && !checkpoints.isBusy(kernel.id);
    },
    execute: async () => {
      const panel = tracker.currentWidget;
      const kernel = kernelOf();
      if (!panel || !kernel) {
        Notification.warning('Checkpoint session: this notebook has no kernel to checkpoint.', { autoClose: 5000 });
        return;
      }
      try {
        await checkpoints.checkpoint(kernel.id, {
          objective: objective(),
          marks: marksOf(panel.context.model),
          notebookPath: panel.context.path,
          kernelName: kernel.name
        });
      } catch (error) {
        Notification.error(`Checkpoint could not start: ${(error as Error).message}`, { autoClose: false });
      }
    }
  });
  palette?.addItem({ command: CHECKPOINT_SESSION, category: 'Elastic Notebook' });
  // Enabled state follows the current notebook, its kernel and its jobs.
  const changed = () => app.commands.notifyCommandChanged(CHECKPOINT_SESSION);
  tracker.currentChanged.connect(changed);
  tracker.widgetAdded.connect((_, panel) => panel.sessionContext.kernelChanged.connect(changed));
  checkpoints.changed.connect(changed);
}
