/**
 * The user's marks, stored in the notebook so that they persist with it and the CLI reads them:
 * a code cell's metadata `"elastic_notebook": {"neverRerun": true}`, and the notebook's metadata
 * `"elastic_notebook": {"alwaysCopy": [names], "neverCopy": [names]}`. Other keys under
 * `elastic_notebook` belong to other features and are kept as they are.
 */
import { ICellModel } from '@jupyterlab/cells';
import { INotebookModel } from '@jupyterlab/notebook';
import type { Marks } from '@elastic-notebook/protocol';

/** The metadata key, in cells and in the notebook. */
export const MARKS_KEY = 'elastic_notebook';

/** What the plan may do with a variable: the planner decides, or the user forces it. */
export type VariableMark = 'auto' | 'always-copy' | 'never-copy';

type MetadataHolder = Pick<ICellModel, 'getMetadata' | 'setMetadata' | 'deleteMetadata'>;

/** The `elastic_notebook` object of a cell or notebook (a copy; empty when absent or not an object). */
function marksObject(holder: MetadataHolder): Record<string, unknown> {
  const value = holder.getMetadata(MARKS_KEY);
  return value && typeof value === 'object' && !Array.isArray(value) ? { ...value } : {};
}

/** Store the `elastic_notebook` object, removing the key altogether when it is empty. */
function storeMarksObject(holder: MetadataHolder, value: Record<string, unknown>): void {
  if (Object.keys(value).length === 0) {
    if (holder.getMetadata(MARKS_KEY) !== undefined) {
      holder.deleteMetadata(MARKS_KEY);
    }
  } else {
    holder.setMetadata(MARKS_KEY, value);
  }
}

/** Whether a cell is marked "never re-run". */
export function isNeverRerun(cell: Pick<ICellModel, 'getMetadata'>): boolean {
  const value = cell.getMetadata(MARKS_KEY);
  return !!value && typeof value === 'object' && (value as Record<string, unknown>).neverRerun === true;
}

/** Mark or unmark a cell "never re-run". */
export function setNeverRerun(cell: MetadataHolder, on: boolean): void {
  const value = marksObject(cell);
  if (on) {
    value.neverRerun = true;
  } else {
    delete value.neverRerun;
  }
  storeMarksObject(cell, value);
}

/** A list of names from the notebook marks, or [] when absent or malformed. */
function namesIn(value: Record<string, unknown>, key: 'alwaysCopy' | 'neverCopy'): string[] {
  const list = value[key];
  return Array.isArray(list) ? list.filter((name): name is string => typeof name === 'string') : [];
}

/** The user's choice for a variable. */
export function variableMark(notebook: MetadataHolder, name: string): VariableMark {
  const value = marksObject(notebook);
  if (namesIn(value, 'neverCopy').includes(name)) {
    return 'never-copy';
  }
  return namesIn(value, 'alwaysCopy').includes(name) ? 'always-copy' : 'auto';
}

/** Set the user's choice for a variable; a variable is in at most one list, lists stay sorted. */
export function setVariableMark(notebook: MetadataHolder, name: string, mark: VariableMark): void {
  const value = marksObject(notebook);
  for (const [key, wanted] of [
    ['alwaysCopy', 'always-copy'],
    ['neverCopy', 'never-copy']
  ] as const) {
    const rest = namesIn(value, key).filter(n => n !== name);
    const names = mark === wanted ? [...rest, name].sort() : rest;
    if (names.length > 0) {
      value[key] = names;
    } else {
      delete value[key];
    }
  }
  storeMarksObject(notebook, value);
}

/**
 * The marks of a notebook, for a plan request. Cells are named by id (JupyterLab gives every cell
 * one, and the recorder reports it); variable lists are sent as stored, so that the server's
 * validation names anything malformed.
 */
export function marksOf(notebook: INotebookModel): Marks {
  const cellIds: string[] = [];
  for (let i = 0; i < notebook.cells.length; i++) {
    const cell = notebook.cells.get(i);
    if (cell.type === 'code' && isNeverRerun(cell)) {
      cellIds.push(cell.id);
    }
  }
  const value = marksObject(notebook);
  const list = (key: 'alwaysCopy' | 'neverCopy') => (value[key] ?? []) as string[];
  return { neverRerun: { cellIds, cellIndices: [] }, alwaysCopy: list('alwaysCopy'), neverCopy: list('neverCopy') };
}
