/**
 * The marks a notebook file carries, so that they persist with it and the CLI plans with them:
 *
 * - a code cell's metadata `"elastic_notebook": {"neverRerun": true}` marks the cell "never re-run";
 * - the notebook's metadata `"elastic_notebook": {"alwaysCopy": [names], "neverCopy": [names]}`
 *   marks variables.
 *
 * Other keys under `elastic_notebook` are left to other features and ignored here.
 */
import { z } from 'zod';
import { Marks, MarksError, parseMarks } from './marks';

/** The metadata key holding Elastic Notebook's settings, in cells and in the notebook. */
export const METADATA_KEY = 'elastic_notebook';

const variableList = z.array(z.string().min(1, 'variable names cannot be empty'), {
  error: 'must be a list of variable names'
});

const notebookMarksSchema = z
  .object({ alwaysCopy: variableList.optional(), neverCopy: variableList.optional() }, { error: 'must be an object' })
  .passthrough();

const cellMarksSchema = z
  .object({ neverRerun: z.boolean({ error: 'must be true or false' }).optional() }, { error: 'must be an object' })
  .passthrough();

const notebookSchema = z
  .object({
    metadata: z.object({ [METADATA_KEY]: notebookMarksSchema.optional() }, { error: 'must be an object' }).optional(),
    cells: z.array(
      z.object(
        {
          id: z.string({ error: 'must be a string' }).min(1, 'cannot be empty').optional(),
          metadata: z.object({ [METADATA_KEY]: cellMarksSchema.optional() }, { error: 'must be an object' }).optional()
        },
        { error: 'must be an object' }
      ),
      { error: 'must be a list of cells' }
    )
  })
  .passthrough();

/**
 * The marks stored in a notebook (nbformat JSON, parsed or as text). A marked cell is named by its
 * nbformat id when it has one (ids survive moving cells), else by its 0-based position among all
 * cells, which is what the recorder reports for notebooks without ids. Repeated names count once.
 *
 * @throws MarksError naming the offending place, e.g.
 *   `cells[3].metadata.elastic_notebook.neverRerun: must be true or false`.
 */
export function marksFromNotebook(notebookJson: unknown): Marks {
  let json = notebookJson;
  if (typeof json === 'string') {
    try {
      json = JSON.parse(json);
    } catch (err) {
      throw new MarksError(`notebook: not JSON (${(err as Error).message})`);
    }
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new MarksError('notebook: must be an nbformat notebook (a JSON object with a "cells" list)');
  }
  const parsed = notebookSchema.safeParse(json);
  if (!parsed.success) {
    throw new MarksError(`${where(parsed.error.issues[0].path)}: ${parsed.error.issues[0].message}`);
  }
  const cellIds: string[] = [];
  const cellIndices: number[] = [];
  parsed.data.cells.forEach((cell, index) => {
    if (cell.metadata?.[METADATA_KEY]?.neverRerun === true) {
      if (cell.id !== undefined) {
        cellIds.push(cell.id);
      } else {
        cellIndices.push(index);
      }
    }
  });
  const lists = parsed.data.metadata?.[METADATA_KEY] ?? {};
  const unique = (names: string[] | undefined) => [...new Set(names ?? [])];
  try {
    return parseMarks({
      neverRerun: { cellIds: unique(cellIds), cellIndices },
      alwaysCopy: unique(lists.alwaysCopy),
      neverCopy: unique(lists.neverCopy)
    });
  } catch (err) {
    // parseMarks says `marks.alwaysCopy: ...`; say where that is in the notebook.
    throw new MarksError((err as Error).message.replace(/^marks\./, `metadata.${METADATA_KEY}.`));
  }
}

/** `cells[3].metadata.elastic_notebook.neverRerun` from a validation path. */
function where(path: PropertyKey[]): string {
  let text = 'notebook';
  for (const part of path) {
    if (typeof part === 'number') {
      text += `[${part}]`;
    } else {
      text = text === 'notebook' ? String(part) : `${text}.${String(part)}`;
    }
  }
  return text;
}
