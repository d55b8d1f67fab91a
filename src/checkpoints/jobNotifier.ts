import { Notification } from '@jupyterlab/apputils';
import { IDisposable } from '@lumino/disposable';
import type { IJob } from '@elastic-notebook/protocol';
import { CheckpointsModel } from './checkpointsModel';
import { jobMessage, jobSeverity, openableMigration, progressFraction } from './jobText';

/** How long a success stays on screen (errors and warnings stay until dismissed). */
const SUCCESS_MS = 6000;

/**
 * One JupyterLab notification per job seen running: its current step and transfer progress while
 * it runs (with a Cancel action), then how it ended (a finished migration stays, with an action
 * that opens the notebook on its target).
 */
export class JobNotifier implements IDisposable {
  constructor(private readonly model: CheckpointsModel) {
    model.jobChanged.connect(this._onJob, this);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.model.jobChanged.disconnect(this._onJob, this);
  }

  private _onJob(_: CheckpointsModel, job: IJob): void {
    const shown = this._shown.get(job.id);
    if (!shown && job.state !== 'running') {
      return; // Ended before this page saw it run (a listing of old jobs): nothing to announce.
    }
    const message = jobMessage(job);
    const progress = progressFraction(job);
    const key = `${job.state}\u0000${message}\u0000${progress}`;
    if (shown?.key === key) {
      return;
    }
    const type = jobSeverity(job);
    const running = job.state === 'running';
    const migrated = openableMigration(job);
    const options = {
      autoClose:
        running || migrated ? (false as const) : type === 'success' || type === 'info' ? SUCCESS_MS : (false as const),
      progress: running ? progress : undefined,
      actions:
        running && !job.cancelRequested
          ? [
              {
                label: 'Cancel',
                caption: 'Stop the job at its next safe point',
                callback: () => void this.model.cancel(job.id).catch(() => undefined)
              }
            ]
          : migrated
            ? [
                {
                  label: `Open on ${migrated.target}`,
                  caption: 'Open the notebook on the target, attached to the migrated kernel',
                  callback: () => void window.open(migrated.notebookUrl, '_blank', 'noopener')
                }
              ]
            : []
    };
    if (shown && !running) {
      // The outcome gets a notification of its own. Updating the progress one raced with
      // JupyterLab drawing it: a job that ends within milliseconds of starting (a small
      // checkpoint takes ~50 ms) left the toast saying "starting" while the update went nowhere.
      Notification.dismiss(shown.id);
      Notification.emit(message, type, options);
    } else if (shown) {
      Notification.update({ id: shown.id, message, type, ...options });
      shown.key = key;
    } else {
      this._shown.set(job.id, { id: Notification.emit(message, type, options), key });
    }
    if (!running) {
      this._shown.delete(job.id);
    }
  }

  private _shown = new Map<string, { id: string; key: string }>();
  private _isDisposed = false;
}
