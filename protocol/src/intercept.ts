/**
 * The hidden first line that makes the kernel agent record a cell (docs/internals.md section 2):
 * `%%intercept --cell-index N --cell-id ID`, then a newline. The agent strips it before IPython
 * sees the cell, so the user's code runs exactly as typed. The extension and the CLI both put it
 * in front of every code cell they run.
 */

/** The cell magic the agent registers. */
export const INTERCEPT_MAGIC = '%%intercept';

/**
 * The header line for a cell.
 *
 * @param cellIndex - The cell's 0-based position in the notebook; left out when negative.
 * @param cellId - The nbformat cell id; left out when empty.
 */
export function interceptHeader(cellIndex: number, cellId: string | null): string {
  const index = cellIndex >= 0 ? ` --cell-index ${cellIndex}` : '';
  const id = cellId ? ` --cell-id ${cellId}` : '';
  return `${INTERCEPT_MAGIC}${index}${id}\n`;
}
