import { Notification } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { ApiError } from './api';
import { askLocation, confirmDelete, confirmRestore, confirmTrust } from './checkpointDialogs';
import { CheckpointEntry, IJob, isReadable } from './checkpoints';
import { CheckpointsModel } from './checkpointsModel';

/** What the Checkpoints section's buttons do. */
export interface ICheckpointActions {
  /** Restore a listed checkpoint into the shown kernel, after asking. */
  restore(entry: CheckpointEntry): Promise<void>;
  /** Ask for a location, then restore from it into the shown kernel. */
  restoreFrom(): Promise<void>;
  /** Delete a listed checkpoint, after asking. */
  remove(entry: CheckpointEntry): Promise<void>;
  /** Ask a job to stop. */
  cancel(job: IJob): Promise<void>;
}

/** How a listing entry is named in questions. */
export function describeEntry(entry: CheckpointEntry): string {
  if (!isReadable(entry)) {
    return `the unreadable checkpoint ${entry.uri}`;
  }
  const notebook = entry.notebookPath ? ` of ${PathExt.basename(entry.notebookPath)}` : '';
  return `the checkpoint${notebook} from ${new Date(entry.createdAt).toLocaleString()}`;
}

/**
 * The section's actions: dialogs first (restoring replaces the kernel's session, bundles from
 * outside the checkpoint root need an explicit trust), failures to start as notifications; the
 * jobs themselves report through the model's notifications.
 */
export function checkpointActions(model: CheckpointsModel, notebookName: () => string | null): ICheckpointActions {
  const restoreUri = async (uri: string, what: string): Promise<void> => {
    const kernel = model.kernel;
    if (!kernel) {
      Notification.warning('Open a notebook with a kernel to restore a checkpoint into it.', { autoClose: 5000 });
      return;
    }
    if (!(await confirmRestore(what, notebookName() ?? 'this notebook'))) {
      return;
    }
    try {
      await model.restore(kernel.id, uri, false);
    } catch (error) {
      if (error instanceof ApiError && error.body?.trustRequired === true) {
        if (await confirmTrust(uri, error.message)) {
          await model.restore(kernel.id, uri, true).catch(again => notifyStartFailure(again));
        }
        return;
      }
      notifyStartFailure(error);
    }
  };
  return {
    restore: entry => restoreUri(entry.uri, describeEntry(entry)),
    restoreFrom: async () => {
      const uri = await askLocation();
      if (uri) {
        await restoreUri(uri, uri);
      }
    },
    remove: async entry => {
      if (!(await confirmDelete(describeEntry(entry)))) {
        return;
      }
      try {
        await model.remove(entry.uri);
      } catch (error) {
        Notification.error(`Could not delete the checkpoint: ${(error as Error).message}`, { autoClose: false });
      }
    },
    cancel: job =>
      model.cancel(job.id).catch(error => {
        Notification.error(`Could not cancel: ${(error as Error).message}`, { autoClose: 5000 });
      })
  };
}

function notifyStartFailure(error: unknown): void {
  Notification.error(`Restore could not start: ${(error as Error).message}`, { autoClose: false });
}
