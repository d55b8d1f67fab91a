import type { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';
import { ENGLISH } from '../shared/translation';
import type { IJob } from '@elastic-notebook/protocol';
import { currentStep, jobMessage, jobName, jobSeverity, openableMigration, progressFraction } from './jobText';

/**
 * The latest checkpoint, restore or migration of the shown kernel: while it runs, its current
 * step, a progress bar for transfers and a Cancel button; afterwards, how it ended (a finished
 * migration links to the notebook on its target). The steps so far are listed under a disclosure.
 */
export function JobView({
  job,
  onCancel,
  trans = ENGLISH
}: {
  job: IJob;
  onCancel: () => void;
  trans?: TranslationBundle;
}): JSX.Element {
  const running = job.state === 'running';
  const fraction = progressFraction(job);
  const migrated = openableMigration(job);
  return (
    <div
      className={`jp-ElasticNotebook-job jp-mod-${job.state} jp-mod-${jobSeverity(job)}`}
      data-job-id={job.id}
      data-state={job.state}
      role={running ? 'status' : jobSeverity(job) === 'error' ? 'alert' : 'status'}
    >
      <div className="jp-ElasticNotebook-jobLine">
        <span className="jp-ElasticNotebook-jobMessage">
          {running ? `${jobName(job)}: ${currentStep(job)}` : jobMessage(job)}
        </span>
        {running ? (
          <button
            type="button"
            className="jp-mod-styled jp-mod-reject jp-ElasticNotebook-cancel"
            disabled={job.cancelRequested}
            onClick={onCancel}
          >
            {trans.__('Cancel')}
          </button>
        ) : null}
      </div>
      {migrated ? (
        // The target's own login applies there: the link carries no token.
        <a
          className="jp-ElasticNotebook-openOnTarget"
          href={migrated.notebookUrl}
          target="_blank"
          rel="noopener noreferrer"
        >
          {trans.__('Open on %1', migrated.target)}
        </a>
      ) : null}
      {running && fraction !== undefined ? (
        <progress className="jp-ElasticNotebook-jobProgress" max={1} value={fraction} />
      ) : null}
      {job.steps.length > 1 ? (
        <details className="jp-ElasticNotebook-jobSteps">
          <summary>{trans._n('%1 step', '%1 steps', job.steps.length)}</summary>
          <ol>
            {job.steps.map((step, i) => (
              <li key={i} title={new Date(step.at).toLocaleTimeString()}>
                {step.message}
              </li>
            ))}
          </ol>
        </details>
      ) : null}
    </div>
  );
}
