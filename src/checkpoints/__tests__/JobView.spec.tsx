import { fireEvent, render, screen } from '@testing-library/react';
import React from 'react';
import { checkpointResult, job, restoreResult, verification } from '../../shared/__tests__/viewFixtures';
import { JobView } from '../JobView';

const steps = [
  { message: 'planning', at: '2026-12-05T00:00:01Z' },
  { message: 'writing payloads', at: '2026-12-05T00:00:02Z' }
];

describe('JobView', () => {
  it('shows a running job with its current step, transfer progress and a Cancel button', () => {
    const onCancel = jest.fn();
    const { container } = render(
      <JobView job={job({ steps, progress: { bytesDone: 1_500_000, bytesTotal: 3_000_000 } })} onCancel={onCancel} />
    );
    const root = container.firstElementChild as HTMLElement;
    expect(root.getAttribute('data-state')).toBe('running');
    expect(root.getAttribute('data-job-id')).toBe('j1');
    expect(root.getAttribute('role')).toBe('status');
    expect(root.classList).toContain('jp-mod-in-progress');
    expect(container.querySelector('.jp-ElasticNotebook-jobMessage')?.textContent).toBe(
      'Checkpoint: writing payloads (1.5 MB of 3 MB)'
    );
    const progress = screen.getByRole('progressbar') as HTMLProgressElement;
    expect(progress.value).toBe(0.5);
    expect(progress.max).toBe(1);

    const cancel = screen.getByRole('button', { name: 'Cancel' }) as HTMLButtonElement;
    expect(cancel.disabled).toBe(false);
    fireEvent.click(cancel);
    expect(onCancel).toHaveBeenCalledTimes(1);
  });

  it('disables Cancel once a cancel was asked for', () => {
    const onCancel = jest.fn();
    const { container } = render(<JobView job={job({ steps, cancelRequested: true })} onCancel={onCancel} />);
    const cancel = screen.getByRole('button', { name: 'Cancel' }) as HTMLButtonElement;
    expect(cancel.disabled).toBe(true);
    expect(container.querySelector('.jp-ElasticNotebook-jobMessage')?.textContent).toBe(
      'Checkpoint: writing payloads, cancelling…'
    );
  });

  it('shows no progress bar without a transfer, and no steps disclosure for a single step', () => {
    const { container, rerender } = render(<JobView job={job()} onCancel={jest.fn()} />);
    expect(container.querySelector('.jp-ElasticNotebook-jobMessage')?.textContent).toBe('Checkpoint: starting');
    expect(screen.queryByRole('progressbar')).toBeNull();
    expect(container.querySelector('details')).toBeNull();

    rerender(<JobView job={job({ steps: steps.slice(0, 1) })} onCancel={jest.fn()} />);
    expect(container.querySelector('.jp-ElasticNotebook-jobMessage')?.textContent).toBe('Checkpoint: planning');
    expect(container.querySelector('details')).toBeNull();
  });

  it('lists the steps so far under a disclosure', () => {
    const { container } = render(<JobView job={job({ steps })} onCancel={jest.fn()} />);
    const details = container.querySelector('details.jp-ElasticNotebook-jobSteps') as HTMLDetailsElement;
    expect(details.querySelector('summary')?.textContent).toBe('2 steps');
    const items = Array.from(details.querySelectorAll('li'));
    expect(items.map(li => li.textContent)).toEqual(['planning', 'writing payloads']);
    expect(items[0].title).toBe(new Date(steps[0].at).toLocaleTimeString());
  });

  it('says how a finished checkpoint ended, without Cancel or progress', () => {
    const { container } = render(
      <JobView
        job={job({
          state: 'done',
          steps,
          progress: { bytesDone: 1, bytesTotal: 2 },
          result: checkpointResult(),
          finishedAt: '2026-12-05T00:00:03Z'
        })}
        onCancel={jest.fn()}
      />
    );
    const root = container.firstElementChild as HTMLElement;
    expect(root.getAttribute('data-state')).toBe('done');
    expect(root.getAttribute('role')).toBe('status');
    expect(root.classList).toContain('jp-mod-success');
    expect(container.querySelector('.jp-ElasticNotebook-jobMessage')?.textContent).toBe(
      'Checkpoint saved: copied 2 variables (12.3 MB), a restore re-runs 1 execution; took 1.23 s.'
    );
    expect(screen.queryByRole('button')).toBeNull();
    expect(screen.queryByRole('progressbar')).toBeNull();
    expect(container.querySelector('summary')?.textContent).toBe('2 steps');
  });

  it('warns about a restore whose variables differ', () => {
    const { container } = render(
      <JobView
        job={job({
          kind: 'restore',
          state: 'done',
          result: restoreResult({
            verification: verification({ ok: false, differ: ['df'] })
          })
        })}
        onCancel={jest.fn()}
      />
    );
    expect(container.firstElementChild?.classList).toContain('jp-mod-warning');
    expect(container.querySelector('.jp-ElasticNotebook-jobMessage')?.textContent).toBe(
      'Session restored, but df differs from the checkpoint.'
    );
  });

  it('announces a failed job as an alert and a cancelled one as a status', () => {
    const { rerender } = render(
      <JobView job={job({ kind: 'restore', state: 'failed', error: 'the kernel died' })} onCancel={jest.fn()} />
    );
    expect(screen.getByRole('alert').textContent).toBe('Restore failed: the kernel died');
    expect(screen.getByRole('alert').classList).toContain('jp-mod-error');

    rerender(<JobView job={job({ state: 'cancelled', cancelRequested: true })} onCancel={jest.fn()} />);
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByRole('status').textContent).toBe('Checkpoint cancelled.');
  });
});
