import { fireEvent, render, screen } from '@testing-library/react';
import React from 'react';
import { asHistory, asMarks, fakeHistory, fakeMarks, graph, variable } from '../../shared/__tests__/viewFixtures';
import { VariablesView } from '../VariablesView';

/** The text of every cell of the body's rows (a mark select reads as its value). */
function rows(container: HTMLElement): string[][] {
  return Array.from(container.querySelectorAll('tbody tr')).map(row =>
    Array.from(row.querySelectorAll('td')).map(cell => {
      const select = cell.querySelector('select');
      return select ? `<${select.value}>` : (cell.textContent ?? '');
    })
  );
}

const history = () =>
  fakeHistory({
    graph: graph({
      variables: [
        variable('model', 0, { producedBy: 3 }),
        variable('df', 2),
        variable('df', 1, { active: false }),
        variable('df', 0, { active: false, producedBy: null }),
        variable('view', 0, { producedBy: 2 }),
        variable('tmp', 0, { active: false, producedBy: 1 }),
        variable('seed', 0, { producedBy: null })
      ],
      groups: [['df', 'view'], ['model'], ['seed']]
    })
  });

describe('VariablesView', () => {
  it('says when no variable is recorded', () => {
    const { rerender } = render(<VariablesView model={asHistory(fakeHistory())} marks={asMarks(fakeMarks())} />);
    expect(screen.getByText('No variables recorded yet.')).toBeTruthy();
    rerender(<VariablesView model={asHistory(fakeHistory({ graph: graph() }))} marks={asMarks(fakeMarks())} />);
    expect(screen.getByText('No variables recorded yet.')).toBeTruthy();
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('lists the live variables by name, then the earlier versions newest first', () => {
    const { container } = render(
      <VariablesView model={asHistory(history())} marks={asMarks(fakeMarks({ model: 'never-copy' }))} />
    );
    expect(Array.from(container.querySelectorAll('thead th')).map(th => th.textContent)).toEqual([
      'Name',
      'Ver.',
      'Group',
      'By',
      'Mark'
    ]);
    expect(rows(container)).toEqual([
      ['df', '2', '1 (+view)', '2', '<auto>'],
      ['model', '0', '2', '3', '<never-copy>'],
      ['seed', '0', '3', 'before recording', '<auto>'],
      ['view', '0', '1 (+df)', '2', '<auto>'],
      ['Earlier versions'],
      ['df', '1', '–', '1', '–'],
      ['df', '0', '–', 'before recording', '–'],
      ['tmp', '0', '–', '1', '–']
    ]);
    const body = Array.from(container.querySelectorAll('tbody tr'));
    expect(body.map(row => row.className)).toEqual([
      'jp-ElasticNotebook-variable jp-mod-active',
      'jp-ElasticNotebook-variable jp-mod-active',
      'jp-ElasticNotebook-variable jp-mod-active',
      'jp-ElasticNotebook-variable jp-mod-active',
      'jp-ElasticNotebook-variablesDivider jp-ElasticNotebook-divider',
      'jp-ElasticNotebook-variable jp-mod-inactive',
      'jp-ElasticNotebook-variable jp-mod-inactive',
      'jp-ElasticNotebook-variable jp-mod-inactive'
    ]);
  });

  it('names the variables a group shares objects with', () => {
    const { container } = render(<VariablesView model={asHistory(history())} marks={asMarks(fakeMarks())} />);
    const groupCells = Array.from(container.querySelectorAll('tbody tr.jp-mod-active')).map(
      row => row.querySelectorAll('td')[2]
    );
    expect(groupCells.map(cell => cell.getAttribute('title'))).toEqual([
      'shares objects with view',
      null,
      null,
      'shares objects with df'
    ]);
  });

  it('has no divider without earlier versions', () => {
    const model = fakeHistory({ graph: graph({ variables: [variable('x', 0)], groups: [['x']] }) });
    const { container } = render(<VariablesView model={asHistory(model)} marks={asMarks(fakeMarks())} />);
    expect(screen.queryByText('Earlier versions')).toBeNull();
    expect(rows(container)).toEqual([['x', '0', '1', '0', '<auto>']]);
  });

  it('sets the mark of a live variable from its select', () => {
    const marks = fakeMarks();
    render(<VariablesView model={asHistory(history())} marks={asMarks(marks)} />);
    fireEvent.change(screen.getByRole('combobox', { name: 'Checkpoint mark of model' }), {
      target: { value: 'always-copy' }
    });
    expect(marks.setMark).toHaveBeenCalledWith('model', 'always-copy');
    expect(screen.getAllByRole('combobox')).toHaveLength(4);
  });
});
