import { promises as fs } from 'fs';
import path from 'path';

/** One code cell to run, with its position among all cells of the notebook. */
export interface INotebookCodeCell {
  /** 0-based index among all cells (markdown and raw included), as JupyterLab numbers them. */
  cellIndex: number;
  /** The nbformat cell id, when the notebook has one (nbformat >= 4.5). */
  cellId: string | null;
  source: string;
}

/** A notebook read from disk: its absolute path and its code cells in order. */
export interface INotebookFile {
  path: string;
  cells: INotebookCodeCell[];
}

/**
 * Read a notebook and return its code cells, with a specific error for every way the file can be
 * unusable (missing, not JSON, not nbformat 4).
 */
export async function readNotebook(file: string): Promise<INotebookFile> {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = await fs.readFile(absolute, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT' ? `notebook not found: ${file}` : `cannot read notebook ${file}: ${(err as Error).message}`
    );
  }
  let json: any;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not a notebook (invalid JSON: ${(err as Error).message})`);
  }
  if (!json || typeof json !== 'object' || !Array.isArray(json.cells)) {
    throw new Error(`${file} is not a notebook (no "cells" list)`);
  }
  if (json.nbformat !== 4) {
    throw new Error(`${file} has nbformat ${JSON.stringify(json.nbformat)}; only nbformat 4 is supported`);
  }
  const cells: INotebookCodeCell[] = [];
  json.cells.forEach((cell: any, index: number) => {
    if (!cell || cell.cell_type !== 'code') {
      return;
    }
    const source = Array.isArray(cell.source) ? cell.source.join('') : String(cell.source ?? '');
    cells.push({ cellIndex: index, cellId: typeof cell.id === 'string' ? cell.id : null, source });
  });
  return { path: absolute, cells };
}
