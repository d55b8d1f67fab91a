import { promises as fs } from 'fs';
import path from 'path';
import { z } from 'zod';
import { CliError } from './cliError';

/** One code cell to run, with its position among all cells of the notebook. */
export interface INotebookCodeCell {
  /** 0-based index among all cells (markdown and raw included), as JupyterLab numbers them. */
  cellIndex: number;
  /** The nbformat cell id, when the notebook has one (nbformat >= 4.5). */
  cellId: string | null;
  source: string;
}

/** A notebook read from disk. */
export interface INotebookFile {
  /** Absolute path. */
  path: string;
  /** Kernel name from the notebook's metadata, if any. */
  kernelName: string | null;
  /** Every code cell in order, blank ones included (the runner skips those, like JupyterLab). */
  cells: INotebookCodeCell[];
  /** The whole parsed file (metadata, marks). */
  json: unknown;
}

const multilineString = z.union([z.string(), z.array(z.string())]);

/** The parts of nbformat 4 the CLI relies on; everything else passes through unchecked. */
const notebookSchema = z.object({
  nbformat: z.literal(4, {
    error: issue =>
      issue.input === undefined ? 'no nbformat field' : `nbformat must be 4, got ${JSON.stringify(issue.input)}`
  }),
  metadata: z.object({ kernelspec: z.object({ name: z.string().min(1) }).optional() }).optional(),
  cells: z.array(
    z.object({
      cell_type: z.enum(['code', 'markdown', 'raw']),
      id: z.string().optional(),
      source: multilineString
    })
  )
});

/** `cells.3.source: ...` for the first problem of a failed validation. */
function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue.path.map(String).join('.');
  return where ? `${where}: ${issue.message}` : issue.message;
}

/**
 * Read a notebook and return its code cells, with a specific error for every way the file can be
 * unusable (missing, a folder, unreadable, not JSON, not nbformat 4).
 */
export async function readNotebook(file: string): Promise<INotebookFile> {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = await fs.readFile(absolute, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new CliError(`notebook not found: ${file}`);
    }
    if (code === 'EISDIR') {
      throw new CliError(`${file} is a folder, not a notebook`);
    }
    throw new CliError(`cannot read notebook ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const reason = (err as Error).message.replace(/\s+/g, ' ');
    throw new CliError(`${file} is not a notebook (not JSON: ${reason})`);
  }
  const parsed = notebookSchema.safeParse(json);
  if (!parsed.success) {
    throw new CliError(`${file} is not a notebook (${firstIssue(parsed.error)})`);
  }
  const cells: INotebookCodeCell[] = [];
  parsed.data.cells.forEach((cell, index) => {
    if (cell.cell_type === 'code') {
      const source = Array.isArray(cell.source) ? cell.source.join('') : cell.source;
      cells.push({ cellIndex: index, cellId: cell.id ?? null, source });
    }
  });
  return { path: absolute, kernelName: parsed.data.metadata?.kernelspec?.name ?? null, cells, json };
}
