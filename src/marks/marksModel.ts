import { INotebookModel } from '@jupyterlab/notebook';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import type { IMapChange } from '@jupyter/ydoc';
import { CellMetadataWatcher } from './cellMetadataWatcher';
import type { Marks } from '@elastic-notebook/protocol';
import { MARKS_KEY, marksOf, setVariableMark, VariableMark, variableMark } from './marks';

/**
 * The marks of the current notebook, for the panel: what each variable is marked, setting a
 * variable's mark, and the marks to send with a plan request. `changed` fires when any mark of
 * the notebook changes (a cell marked from its menu, a variable from the panel, an undo...).
 */
export class NotebookMarks implements IDisposable {
  /** Emitted when the notebook shown changes or any of its marks does. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The notebook whose marks are shown, if any. */
  get notebook(): INotebookModel | null {
    return this._notebook;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Follow another notebook's marks, or none. */
  setNotebook(notebook: INotebookModel | null): void {
    if (notebook === this._notebook) {
      return;
    }
    this._unwatch();
    this._notebook = notebook;
    if (notebook) {
      notebook.metadataChanged.connect(this._onNotebookMetadata, this);
      this._watcher = new CellMetadataWatcher(notebook, MARKS_KEY, () => this._check());
    }
    this._signature = JSON.stringify(this.marks());
    this._changed.emit();
  }

  /** The user's choice for a variable of the current notebook ('auto' without a notebook). */
  markOf(name: string): VariableMark {
    return this._notebook ? variableMark(this._notebook, name) : 'auto';
  }

  /** Store the user's choice for a variable in the current notebook's metadata. */
  setMark(name: string, mark: VariableMark): void {
    if (this._notebook) {
      setVariableMark(this._notebook, name, mark);
    }
  }

  /** The marks to send with a plan request (none without a notebook). */
  marks(): Marks {
    return this._notebook
      ? marksOf(this._notebook)
      : { neverRerun: { cellIds: [], cellIndices: [] }, alwaysCopy: [], neverCopy: [] };
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._unwatch();
    Signal.clearData(this);
  }

  private _unwatch(): void {
    if (this._notebook && !this._notebook.isDisposed) {
      this._notebook.metadataChanged.disconnect(this._onNotebookMetadata, this);
    }
    this._watcher?.dispose();
    this._watcher = null;
  }

  private _onNotebookMetadata(_: INotebookModel, change: IMapChange): void {
    if (change.key === MARKS_KEY) {
      this._check();
    }
  }

  /** Emit `changed` if the marks differ from the last ones seen (adding unmarked cells changes nothing). */
  private _check(): void {
    const signature = JSON.stringify(this.marks());
    if (signature !== this._signature) {
      this._signature = signature;
      this._changed.emit();
    }
  }

  private _notebook: INotebookModel | null = null;
  private _watcher: CellMetadataWatcher | null = null;
  private _signature = '';
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}
