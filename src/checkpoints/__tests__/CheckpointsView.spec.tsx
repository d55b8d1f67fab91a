import { fireEvent, render, screen } from '@testing-library/react';
import React from 'react';
import {
  asCheckpoints,
  fakeActions,
  fakeCheckpoints,
  job,
  summary,
  unreadable
} from '../../shared/__tests__/viewFixtures';
import { describeEntry, formatTime } from '../checkpointActions';
import { CheckpointsView } from '../CheckpointsView';

// Newest first, as the companion lists them: two of work/nb.ipynb, two of other notebooks.
const ownNew = summary('/data/checkpoints/nb-2', '/home/me/work/nb.ipynb', {
  createdAt: '2026-12-05T12:00:00Z',
  bytes: 12_345_678,
  copiedVariables: 4
});
const other = summary('/data/checkpoints/other-1', '/home/me/other.ipynb', { createdAt: '2026-12-05T11:00:00Z' });
const ownOld = summary('/data/checkpoints/nb-1', '/home/me/work/nb.ipynb', {
  createdAt: '2026-12-04T09:00:00Z',
  bytes: 999,
  copiedVariables: 0,
  objective: null
});
const anonymous = summary('/data/checkpoints/anon', null, { createdAt: '2026-12-03T09:00:00Z' });
const broken = unreadable('/data/checkpoints/broken', 'Cannot read /data/checkpoints/broken: manifest.json is corrupt');

const entries = () => [ownNew, other, ownOld, anonymous, broken];

/** The rows of the checkpoint list: own, other, unreadable or divider, with their data-uri. */
function listRows(container: HTMLElement): string[] {
  return Array.from(container.querySelectorAll('.jp-ElasticNotebook-checkpointList tbody tr')).map(row =>
    row.classList.contains('jp-ElasticNotebook-divider')
      ? `-- ${row.textContent} --`
      : `${row.className.replace('jp-ElasticNotebook-checkpoint jp-mod-', '')} ${row.getAttribute('data-uri')}`
  );
}

const rowOf = (container: HTMLElement, uri: string) =>
  container.querySelector(`tr[data-uri="${uri}"]`) as HTMLTableRowElement;
const button = (row: HTMLElement, name: 'Restore' | 'Delete') =>
  Array.from(row.querySelectorAll('button')).find(b => b.textContent === name) as HTMLButtonElement | undefined;

describe('CheckpointsView', () => {
  it('shows the root, lists this notebook’s checkpoints and offers the others behind a toggle', () => {
    const model = fakeCheckpoints({ entries: entries() });
    const { container } = render(<CheckpointsView model={asCheckpoints(model)} actions={fakeActions()} />);
    expect(container.querySelector('.jp-ElasticNotebook-checkpointRoot')?.textContent).toBe('In /data/checkpoints');
    expect(listRows(container)).toEqual([
      'own /data/checkpoints/nb-2',
      'own /data/checkpoints/nb-1',
      'unreadable /data/checkpoints/broken'
    ]);
    const toggle = screen.getByRole('checkbox', {
      name: 'Show checkpoints of other notebooks (2)'
    }) as HTMLInputElement;
    expect(toggle.checked).toBe(false);
    expect(screen.queryByText('Other notebooks')).toBeNull();
  });

  it('shows a checkpoint’s notebook, time, size and copied variables', () => {
    const model = fakeCheckpoints({ entries: entries() });
    const { container } = render(<CheckpointsView model={asCheckpoints(model)} actions={fakeActions()} />);
    const row = rowOf(container, '/data/checkpoints/nb-2');
    expect(row.getAttribute('data-checkpoint-id')).toBe('nb-2');
    expect(row.getAttribute('data-notebook')).toBe('/home/me/work/nb.ipynb');
    expect(row.title).toBe('/home/me/work/nb.ipynb\nobjective balanced\n/data/checkpoints/nb-2');
    expect(row.querySelector('.jp-ElasticNotebook-checkpointNotebook')?.textContent).toBe('nb.ipynb');
    expect(row.querySelector('.jp-ElasticNotebook-checkpointTime')?.textContent).toBe(formatTime(ownNew.createdAt));
    const numbers = Array.from(row.querySelectorAll('td.jp-ElasticNotebook-number')).map(td => td.textContent);
    expect(numbers).toEqual(['12.3 MB', '4']);
    expect(rowOf(container, '/data/checkpoints/nb-1').title).toBe('/home/me/work/nb.ipynb\n/data/checkpoints/nb-1');
    expect(button(row, 'Restore')?.title).toBe(
      `Restore ${describeEntry(ownNew)} into this notebook's kernel (the kernel restarts)`
    );
  });

  it('sets showOthers from the toggle, and lists the other notebooks’ checkpoints after a divider when set', () => {
    const model = fakeCheckpoints({ entries: entries() });
    const actions = fakeActions();
    const { container, rerender } = render(<CheckpointsView model={asCheckpoints(model)} actions={actions} />);
    fireEvent.click(screen.getByRole('checkbox'));
    expect(model.showOthers).toBe(true);

    rerender(<CheckpointsView model={asCheckpoints(model)} actions={actions} />);
    expect(listRows(container)).toEqual([
      'own /data/checkpoints/nb-2',
      'own /data/checkpoints/nb-1',
      '-- Other notebooks --',
      'other /data/checkpoints/other-1',
      'other /data/checkpoints/anon',
      'unreadable /data/checkpoints/broken'
    ]);
    expect((screen.getByRole('checkbox') as HTMLInputElement).checked).toBe(true);
    const anon = rowOf(container, '/data/checkpoints/anon');
    expect(anon.querySelector('.jp-ElasticNotebook-checkpointNotebook')?.textContent).toBe('unknown notebook');

    fireEvent.click(screen.getByRole('checkbox'));
    expect(model.showOthers).toBe(false);
  });

  it('restores and deletes the entry of the row clicked', () => {
    const model = fakeCheckpoints({ entries: entries(), showOthers: true });
    const actions = fakeActions();
    const { container } = render(<CheckpointsView model={asCheckpoints(model)} actions={actions} />);
    const restore = button(rowOf(container, '/data/checkpoints/other-1'), 'Restore') as HTMLButtonElement;
    expect(restore.disabled).toBe(false);
    fireEvent.click(restore);
    expect(actions.restore).toHaveBeenCalledTimes(1);
    expect(actions.restore).toHaveBeenCalledWith(other);

    fireEvent.click(button(rowOf(container, '/data/checkpoints/nb-1'), 'Delete') as HTMLButtonElement);
    expect(actions.remove).toHaveBeenCalledWith(ownOld);
    expect(actions.restore).toHaveBeenCalledTimes(1);
  });

  it('lists an unreadable bundle with why, deletable but not restorable', () => {
    const model = fakeCheckpoints({ entries: entries() });
    const actions = fakeActions();
    const { container } = render(<CheckpointsView model={asCheckpoints(model)} actions={actions} />);
    const row = rowOf(container, '/data/checkpoints/broken');
    expect(row.querySelector('.jp-ElasticNotebook-error')?.textContent).toBe(
      'Cannot read /data/checkpoints/broken: manifest.json is corrupt'
    );
    expect(row.title).toBe('/data/checkpoints/broken');
    expect(button(row, 'Restore')).toBeUndefined();
    const remove = button(row, 'Delete') as HTMLButtonElement;
    expect(remove.title).toBe('Delete the unreadable checkpoint /data/checkpoints/broken');
    fireEvent.click(remove);
    expect(actions.remove).toHaveBeenCalledWith(broken);
  });

  it('disables restoring without a kernel', () => {
    const model = fakeCheckpoints({ entries: entries(), kernel: null });
    const { container } = render(<CheckpointsView model={asCheckpoints(model)} actions={fakeActions()} />);
    expect(button(rowOf(container, '/data/checkpoints/nb-2'), 'Restore')?.disabled).toBe(true);
    expect((screen.getByRole('button', { name: 'Restore from…' }) as HTMLButtonElement).disabled).toBe(true);
    expect(button(rowOf(container, '/data/checkpoints/nb-2'), 'Delete')?.disabled).toBe(false);
  });

  it('disables restoring while a job runs, shows the job and cancels it', () => {
    const running = job({ steps: [{ message: 'writing payloads', at: '2026-12-05T00:00:02Z' }] });
    const model = fakeCheckpoints({ entries: entries(), job: running });
    const actions = fakeActions();
    const { container } = render(<CheckpointsView model={asCheckpoints(model)} actions={actions} />);
    expect(button(rowOf(container, '/data/checkpoints/nb-2'), 'Restore')?.disabled).toBe(true);
    expect((screen.getByRole('button', { name: 'Restore from…' }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByRole('status').textContent).toContain('Checkpoint: writing payloads');
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(actions.cancel).toHaveBeenCalledWith(running);
  });

  it('enables restoring again once the job ended', () => {
    const model = fakeCheckpoints({
      entries: entries(),
      job: job({ state: 'failed', error: 'disk full', finishedAt: '2026-12-05T00:00:03Z' })
    });
    const actions = fakeActions();
    const { container } = render(<CheckpointsView model={asCheckpoints(model)} actions={actions} />);
    expect(screen.getByRole('alert').textContent).toBe('Checkpoint failed: disk full');
    expect(button(rowOf(container, '/data/checkpoints/nb-2'), 'Restore')?.disabled).toBe(false);
    const restoreFrom = screen.getByRole('button', { name: 'Restore from…' }) as HTMLButtonElement;
    expect(restoreFrom.disabled).toBe(false);
    fireEvent.click(restoreFrom);
    expect(actions.restoreFrom).toHaveBeenCalledTimes(1);
  });

  it('lists again from its refresh button', () => {
    const model = fakeCheckpoints({ entries: [] });
    const { container } = render(<CheckpointsView model={asCheckpoints(model)} actions={fakeActions()} />);
    const refresh = container.querySelector('.jp-ElasticNotebook-checkpointsRefresh') as HTMLElement;
    expect(refresh.getAttribute('title')).toBe('List the checkpoints again');
    fireEvent.click(refresh);
    expect(model.refresh).toHaveBeenCalledTimes(1);
  });

  it('says when there are no checkpoints at all, or none of this notebook', () => {
    const model = fakeCheckpoints({ entries: [], root: null });
    const actions = fakeActions();
    const { container, rerender } = render(<CheckpointsView model={asCheckpoints(model)} actions={actions} />);
    expect(container.querySelector('.jp-ElasticNotebook-checkpointRoot')?.textContent).toBe('Checkpoints');
    expect(screen.getByText('No checkpoints yet: use “Checkpoint session” in the notebook toolbar.')).toBeTruthy();
    expect(screen.queryByRole('checkbox')).toBeNull();

    model.entries = [other];
    rerender(<CheckpointsView model={asCheckpoints(model)} actions={actions} />);
    expect(
      screen.getByText('No checkpoints of this notebook yet: use “Checkpoint session” in the notebook toolbar.')
    ).toBeTruthy();
    expect(container.querySelector('.jp-ElasticNotebook-checkpointList')).toBeNull();
    expect(screen.getByRole('checkbox', { name: 'Show checkpoints of other notebooks (1)' })).toBeTruthy();
  });

  it('says it is listing before the first listing, and shows a listing error', () => {
    const model = fakeCheckpoints({ loading: true, error: 'could not list the checkpoints: 403 Forbidden' });
    const { container } = render(<CheckpointsView model={asCheckpoints(model)} actions={fakeActions()} />);
    expect(container.querySelector('.jp-ElasticNotebook-empty')?.textContent).toBe('Listing the checkpoints…');
    expect(screen.getByRole('alert').textContent).toBe('could not list the checkpoints: 403 Forbidden');
  });
});
