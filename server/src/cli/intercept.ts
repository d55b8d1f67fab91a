/**
 * The hidden first line the extension puts in front of every code cell (docs/internals.md
 * section 2). The agent strips it before IPython sees the cell and records the execution.
 */
export function interceptHeader(cellIndex: number, cellId: string | null): string {
  return `%%intercept --cell-index ${cellIndex}${cellId ? ` --cell-id ${cellId}` : ''}\n`;
}
