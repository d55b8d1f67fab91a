import { JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { Cell } from '@jupyterlab/cells';
import { INotebookTracker } from '@jupyterlab/notebook';
import { isNeverRerun, setNeverRerun } from './marks';

/** The command's id. */
export const TOGGLE_NEVER_RERUN = 'elastic-notebook:toggle-never-rerun';

/** Where the command appears in the cell context menu (after JupyterLab's own cell items). */
const CONTEXT_MENU_RANK = 12;

/**
 * The code cells the command acts on: the selected ones, or the active one when it is the only
 * one (right-clicking a cell makes it active, like JupyterLab's own cell menu items).
 */
function targetCells(tracker: INotebookTracker): Cell[] {
  const notebook = tracker.currentWidget?.content;
  if (!notebook) {
    return [];
  }
  return notebook.widgets.filter(cell => notebook.isSelectedOrActive(cell) && cell.model.type === 'code');
}

/**
 * Register "Never re-run this cell": a toggle, checked when the active cell is marked. Marking a
 * cell stores `"elastic_notebook": {"neverRerun": true}` in its metadata (saved with the notebook);
 * the planner then never re-runs its executions, so whatever they produced is copied.
 */
export function addNeverRerunCommand(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  palette: ICommandPalette | null
): void {
  const active = () => {
    const cell = tracker.activeCell;
    return cell && cell.model.type === 'code' ? cell : null;
  };
  app.commands.addCommand(TOGGLE_NEVER_RERUN, {
    label: 'Never re-run this cell',
    caption:
      'Mark the cell as having side effects (writes files, databases, network): ' +
      'Elastic Notebook copies what it produced instead of re-running it',
    isEnabled: () => active() !== null,
    isToggleable: true,
    isToggled: () => {
      const cell = active();
      return cell !== null && isNeverRerun(cell.model);
    },
    execute: () => {
      const cell = active();
      if (!cell) {
        return;
      }
      // Every target follows the active cell: mark them all, or clear them all.
      const on = !isNeverRerun(cell.model);
      for (const target of targetCells(tracker)) {
        setNeverRerun(target.model, on);
      }
      app.commands.notifyCommandChanged(TOGGLE_NEVER_RERUN);
    }
  });
  app.contextMenu.addItem({
    command: TOGGLE_NEVER_RERUN,
    selector: '.jp-Notebook .jp-CodeCell',
    rank: CONTEXT_MENU_RANK
  });
  palette?.addItem({ command: TOGGLE_NEVER_RERUN, category: 'Elastic Notebook' });
  // The toggle state follows the active cell.
  tracker.activeCellChanged.connect(() => app.commands.notifyCommandChanged(TOGGLE_NEVER_RERUN));
}
