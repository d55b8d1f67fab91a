import { HistoryGraph } from './historyGraph';

/** Left-aligned columns separated by two spaces. */
function columns(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map(row => row[c].length)));
  return rows.map(row =>
    row
      .map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd()
  );
}

const list = (items: string[]) => (items.length ? items.join(', ') : '-');

/** The history graph as readable tables for a terminal (the output without --json). */
export function formatGraph(graph: HistoryGraph): string {
  const executions = columns([
    ['#', 'cell', 'ms', 'reads', 'writes', 'deletes', 'error'],
    ...graph.executions.map(e => [
      String(e.index),
      e.cellIndex === null ? '-' : String(e.cellIndex),
      e.durationMs.toFixed(1),
      list(e.reads),
      list(e.writes),
      list(e.deletes),
      e.error ?? ''
    ])
  ]);
  const variables = columns([
    ['variable', 'version', 'produced by', 'active'],
    ...graph.variables.map(v => [
      v.name,
      String(v.version),
      v.producedBy === null ? '-' : `#${v.producedBy}`,
      v.active ? 'yes' : 'no'
    ])
  ]);
  const groups = graph.groups.map(group => `{${group.join(', ')}}`).join(' ');
  return [
    `Executions (${graph.executions.length})`,
    ...executions.map(line => `  ${line}`),
    '',
    `Variables (${graph.variables.length})`,
    ...variables.map(line => `  ${line}`),
    '',
    `Linked groups: ${groups || '-'}`
  ].join('\n');
}
