import { render, screen } from '@testing-library/react';
import React from 'react';
import { asHistory, bracketed, fakeHistory } from '../../shared/__tests__/viewFixtures';
import { StatusView } from '../StatusView';

const statusLine = (container: HTMLElement) => container.querySelector('.jp-ElasticNotebook-status') as HTMLElement;

describe('StatusView', () => {
  it('asks for a notebook when none is shown', () => {
    const { container } = render(<StatusView model={asHistory(fakeHistory({ notebookPath: null, kernel: null }))} />);
    expect(statusLine(container).textContent).toBe('Open a notebook to see its history.');
  });

  it('says when the notebook has no kernel', () => {
    const { container } = render(<StatusView model={asHistory(fakeHistory({ kernel: null }))} />);
    expect(statusLine(container).textContent).toBe('This notebook has no kernel.');
  });

  it('says the agent is loading while the kernel has no status yet', () => {
    const { container } = render(<StatusView model={asHistory(fakeHistory({ agentStatus: undefined }))} />);
    expect(statusLine(container).textContent).toBe('Loading the agent into the kernel…');
  });

  it('says why the kernel does not record', () => {
    const { container, rerender } = render(
      <StatusView
        model={asHistory(fakeHistory({ agentStatus: { active: false, reason: 'the kernel is not Python' } }))}
      />
    );
    expect(statusLine(container).textContent).toBe('Not recording: the kernel is not Python. Cells run as usual.');
    expect(statusLine(container).classList).toContain('jp-mod-off');

    rerender(<StatusView model={asHistory(fakeHistory({ agentStatus: { active: false } }))} />);
    expect(statusLine(container).textContent).toBe('Not recording: the agent is not available. Cells run as usual.');
  });

  it('says the kernel records, without an alert when nothing failed', () => {
    const { container } = render(<StatusView model={asHistory(fakeHistory())} />);
    expect(statusLine(container).textContent).toBe('Recording every cell you run.');
    expect(statusLine(container).classList).toContain('jp-mod-recording');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('shows the server error as an alert next to the status', () => {
    const { container } = render(
      <StatusView model={asHistory(fakeHistory({ error: 'could not load the history: 502 Bad Gateway' }))} />
    );
    expect(screen.getByRole('alert').textContent).toBe('could not load the history: 502 Bad Gateway');
    expect(statusLine(container).textContent).toBe('Recording every cell you run.');
  });

  it('uses the translation it is given', () => {
    const { container } = render(
      <StatusView model={asHistory(fakeHistory({ agentStatus: { active: false } }))} trans={bracketed()} />
    );
    expect(statusLine(container).textContent).toBe(
      '[Not recording: [the agent is not available]. Cells run as usual.]'
    );
  });
});
