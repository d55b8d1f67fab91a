/**
 * User marks that constrain the plan: a cell marked "never re-run" (it has side effects: sends
 * mail, writes files, trains for hours) gives all its executions an infinite re-run capacity; a
 * variable marked "always copy" is never recomputed and one marked "never copy" is never copied.
 */
import { marksSchema, type Marks } from '@elastic-notebook/protocol/schemas';

export { marksSchema } from '@elastic-notebook/protocol/schemas';
export type { Marks } from '@elastic-notebook/protocol/schemas';

/** Raised for malformed or contradictory marks; the message says what and where. */
export class MarksError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MarksError';
  }
}

/** Marks that constrain nothing. */
export function noMarks(): Marks {
  return { neverRerun: { cellIds: [], cellIndices: [] }, alwaysCopy: [], neverCopy: [] };
}

/** Validate marks from JSON (missing lists default to empty). */
export function parseMarks(json: unknown): Marks {
  const parsed = marksSchema.safeParse(json ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 ? `marks.${issue.path.join('.')}` : 'marks';
    throw new MarksError(`${where}: ${issue.message}`);
  }
  return parsed.data;
}

/** Whether an execution of this cell must never be re-run. */
export function isNeverRerun(marks: Marks, cell: { cellId: string | null; cellIndex: number | null }): boolean {
  return (
    (cell.cellId !== null && marks.neverRerun.cellIds.includes(cell.cellId)) ||
    (cell.cellIndex !== null && marks.neverRerun.cellIndices.includes(cell.cellIndex))
  );
}

/** A change a user makes to the marks (from the UI or the CLI). */
export type MarkChange =
  | { kind: 'never-rerun'; cellId?: string; cellIndex?: number; on: boolean }
  | { kind: 'always-copy' | 'never-copy'; variable: string; on: boolean };

/**
 * Apply a change, returning new marks (the input is not modified). Setting "always copy" on a
 * variable clears its "never copy" and the reverse, since the user's latest choice wins.
 */
export function changeMarks(marks: Marks, change: MarkChange): Marks {
  const next: Marks = {
    neverRerun: { cellIds: [...marks.neverRerun.cellIds], cellIndices: [...marks.neverRerun.cellIndices] },
    alwaysCopy: [...marks.alwaysCopy],
    neverCopy: [...marks.neverCopy]
  };
  const toggle = <T>(list: T[], value: T, on: boolean): T[] => {
    const rest = list.filter(v => v !== value);
    return on ? [...rest, value] : rest;
  };
  if (change.kind === 'never-rerun') {
    if (change.cellId === undefined && change.cellIndex === undefined) {
      throw new MarksError('a "never re-run" mark needs a cellId or a cellIndex');
    }
    if (change.cellId !== undefined) {
      next.neverRerun.cellIds = toggle(next.neverRerun.cellIds, change.cellId, change.on);
    }
    if (change.cellIndex !== undefined) {
      next.neverRerun.cellIndices = toggle(next.neverRerun.cellIndices, change.cellIndex, change.on);
    }
  } else if (change.kind === 'always-copy') {
    next.alwaysCopy = toggle(next.alwaysCopy, change.variable, change.on);
    if (change.on) {
      next.neverCopy = next.neverCopy.filter(v => v !== change.variable);
    }
  } else {
    next.neverCopy = toggle(next.neverCopy, change.variable, change.on);
    if (change.on) {
      next.alwaysCopy = next.alwaysCopy.filter(v => v !== change.variable);
    }
  }
  return parseMarks(next);
}
