import { render, screen } from '@testing-library/react';
import React from 'react';
import { asHistory, bracketed, execution, fakeHistory, graph } from '../../shared/__tests__/viewFixtures';
import { ExecutionsView, names } from '../ExecutionsView';

/** The text of every cell of the table's rows (header row first). */
function cells(container: HTMLElement): string[][] {
  return Array.from(container.querySelectorAll('tr')).map(row =>
    Array.from(row.querySelectorAll('th, td')).map(cell => cell.textContent ?? '')
  );
}

describe('ExecutionsView', () => {
  it('says nothing was recorded yet in a recording kernel', () => {
    render(<ExecutionsView model={asHistory(fakeHistory({ graph: graph() }))} />);
    expect(screen.getByText('No cells recorded yet in this kernel.').className).toBe('jp-ElasticNotebook-empty');
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('says nothing is recorded without a graph or an active agent', () => {
    const { rerender } = render(<ExecutionsView model={asHistory(fakeHistory({ agentStatus: undefined }))} />);
    expect(screen.getByText('Nothing recorded.')).toBeTruthy();
    rerender(<ExecutionsView model={asHistory(fakeHistory({ agentStatus: { active: false }, graph: graph() }))} />);
    expect(screen.getByText('Nothing recorded.')).toBeTruthy();
  });

  it('lists the executions in order, without a Deletes column when nothing was deleted', () => {
    const model = fakeHistory({
      graph: graph({
        executions: [
          execution(0, {
            code: 'import pandas as pd\ndf = pd.read_csv("a.csv")',
            writes: ['pd', 'df'],
            durationMs: 812.345
          }),
          execution(1, { cellIndex: null, reads: ['df'], writes: [], durationMs: 0.04 })
        ]
      })
    });
    const { container } = render(<ExecutionsView model={asHistory(model)} />);
    expect(cells(container)).toEqual([
      ['#', 'Cell', 'ms', 'Reads', 'Writes'],
      ['0', '0', '812.3', '–', 'pd, df'],
      ['1', '–', '0.0', 'df', '–']
    ]);
    const rows = container.querySelectorAll('tbody tr');
    expect((rows[0] as HTMLElement).title).toBe('import pandas as pd\ndf = pd.read_csv("a.csv")');
    expect(rows[0].className).toBe('jp-ElasticNotebook-execution');
  });

  it('adds the Deletes column when an execution deleted something, and an error row under a failed one', () => {
    const model = fakeHistory({
      graph: graph({
        executions: [
          execution(0),
          execution(1, { code: 'del x', writes: [], deletes: ['x'] }),
          execution(2, { reads: ['x'], writes: [], error: "NameError: name 'x' is not defined" })
        ]
      })
    });
    const { container } = render(<ExecutionsView model={asHistory(model)} />);
    expect(cells(container)).toEqual([
      ['#', 'Cell', 'ms', 'Reads', 'Writes', 'Deletes'],
      ['0', '0', '1.3', '–', 'x', '–'],
      ['1', '1', '1.3', '–', '–', 'x'],
      ['2', '2', '1.3', 'x', '–', '–'],
      ["NameError: name 'x' is not defined"]
    ]);
    const failed = container.querySelectorAll('tbody tr')[2];
    expect(failed.classList).toContain('jp-mod-error');
    const error = container.querySelector('.jp-ElasticNotebook-errorRow td') as HTMLTableCellElement;
    expect(error.colSpan).toBe(6);
  });

  it('spans the error row over five columns without Deletes', () => {
    const model = fakeHistory({ graph: graph({ executions: [execution(0, { error: 'ValueError: bad value' })] }) });
    const { container } = render(<ExecutionsView model={asHistory(model)} />);
    const error = container.querySelector('.jp-ElasticNotebook-errorRow td') as HTMLTableCellElement;
    expect(error.textContent).toBe('ValueError: bad value');
    expect(error.colSpan).toBe(5);
  });

  it('translates the headers and the empty state', () => {
    const { container, rerender } = render(
      <ExecutionsView
        model={asHistory(fakeHistory({ graph: graph({ executions: [execution(0)] }) }))}
        trans={bracketed()}
      />
    );
    expect(cells(container)[0]).toEqual(['#', '[Cell]', 'ms', '[Reads]', '[Writes]']);
    rerender(<ExecutionsView model={asHistory(fakeHistory())} trans={bracketed()} />);
    expect(screen.getByText('[No cells recorded yet in this kernel.]')).toBeTruthy();
  });

  it('joins names, or shows a dash for none', () => {
    expect(names(['a', 'b'])).toBe('a, b');
    expect(names([])).toBe('–');
  });
});
