import { ICellModel } from '@jupyterlab/cells';
import { NotebookPanel } from '@jupyterlab/notebook';
import { CellMetadataWatcher } from './cellMetadataWatcher';
import { isNeverRerun, MARKS_KEY } from './marks';

/** The class of a cell marked "never re-run" (style/base.css draws the cue). */
export const NEVER_RERUN_CLASS = 'jp-ElasticNotebook-neverRerun';

/**
 * Keep {@link NEVER_RERUN_CLASS} on the cells of a notebook panel that are marked "never re-run",
 * for as long as the panel lives. It only reacts to cells being added or removed and to changes
 * of their `elastic_notebook` metadata.
 */
export function addNeverRerunCue(panel: NotebookPanel): void {
  /** Set or clear the class on the widgets of `cells` (all cells for null), in one pass. */
  const update = (cells: ICellModel[] | null) => {
    const wanted = cells ? new Set(cells) : null;
    for (const widget of panel.content.widgets) {
      if (!wanted || wanted.has(widget.model)) {
        widget.toggleClass(NEVER_RERUN_CLASS, widget.model.type === 'code' && isNeverRerun(widget.model));
      }
    }
  };
  void panel.context.ready.then(() => {
    if (panel.isDisposed || !panel.model) {
      return;
    }
    const watcher = new CellMetadataWatcher(panel.model, MARKS_KEY, update);
    update(null);
    panel.disposed.connect(() => watcher.dispose());
  });
}
