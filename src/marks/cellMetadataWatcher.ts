import { ICellModel } from '@jupyterlab/cells';
import { INotebookModel } from '@jupyterlab/notebook';
import type { IObservableList } from '@jupyterlab/observables';
import { IDisposable } from '@lumino/disposable';
import type { IMapChange } from '@jupyter/ydoc';

/**
 * Calls `onChange` with the cells whose metadata under `key` may have changed: cells added to the
 * notebook (loaded, pasted, undone), cells removed from it, and cells whose `key` entry was set
 * or removed. Edits of other metadata and of sources cost nothing but the signal dispatch.
 */
export class CellMetadataWatcher implements IDisposable {
  constructor(
    private readonly notebook: INotebookModel,
    private readonly key: string,
    private readonly onChange: (cells: ICellModel[]) => void
  ) {
    notebook.cells.changed.connect(this._onCellsChanged, this);
    const cells: ICellModel[] = [];
    for (let i = 0; i < notebook.cells.length; i++) {
      cells.push(notebook.cells.get(i));
    }
    this._watch(cells);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    if (!this.notebook.isDisposed) {
      this.notebook.cells.changed.disconnect(this._onCellsChanged, this);
    }
    for (const cell of this._cells) {
      cell.metadataChanged.disconnect(this._onMetadataChanged, this);
    }
    this._cells.clear();
  }

  private _watch(cells: ICellModel[]): void {
    for (const cell of cells) {
      if (!this._cells.has(cell)) {
        this._cells.add(cell);
        cell.metadataChanged.connect(this._onMetadataChanged, this);
      }
    }
  }

  private _onCellsChanged(_: unknown, change: IObservableList.IChangedArgs<ICellModel>): void {
    const changed: ICellModel[] = [];
    if (change.type === 'remove' || change.type === 'set') {
      // The notebook's cell list reports removals without the removed models (`oldValues` holds
      // undefined), so the cells no longer in the notebook are the watched ones that left. A
      // removed cell may come back (undo) as the same model; `add` watches it again then.
      const current = new Set<ICellModel>();
      for (let i = 0; i < this.notebook.cells.length; i++) {
        current.add(this.notebook.cells.get(i));
      }
      for (const cell of [...this._cells]) {
        if (!current.has(cell)) {
          cell.metadataChanged.disconnect(this._onMetadataChanged, this);
          this._cells.delete(cell);
          changed.push(cell);
        }
      }
    }
    if (change.type === 'add' || change.type === 'set') {
      const added = change.newValues.filter(cell => cell !== undefined);
      this._watch(added);
      changed.push(...added);
    }
    if (changed.length > 0) {
      this.onChange(changed);
    }
  }

  private _onMetadataChanged(cell: ICellModel, change: IMapChange): void {
    if (change.key === this.key) {
      this.onChange([cell]);
    }
  }

  private _isDisposed = false;
  private readonly _cells = new Set<ICellModel>();
}
