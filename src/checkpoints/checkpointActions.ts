import { Notification } from '@jupyterlab/apputils';
import { ApiError } from '../shared/api';
import { askLocation, confirmDelete, confirmRestore, confirmTrust } from './checkpointDialogs';
import { notebookName } from './checkpointNotebook';
import type { CheckpointEntry, IJob } from '@elastic-notebook/protocol';
import { isReadable } from './checkpoints';
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
  const notebook = entry.notebookPath ? ` of ${notebookName(entry.notebookPath)}` : '';
  return `the checkpoint${notebook} from ${formatTime(entry.createdAt)}`;
}

/** A checkpoint's creation time, short enough for the sidebar. */
export function formatTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * The section's actions: dialogs first (restoring replaces the kernel's session, a checkpoint of
 * another notebook is named as such, bundles from outside the checkpoint root need an explicit
 * trust), failures to start as notifications; the jobs themselves report through the model's
 * notifications.
 */
export function checkpointActions(model: CheckpointsModel): ICheckpointActions {
  /** Restore `uri`, whose manifest records the notebook `recorded`, into the shown kernel. */
  const restoreUri = async (uri: string, what: string, recorded: string | null): Promise<void> => {
    const kernel = model.kernel;
    if (!kernel) {
      Notification.warning('Open a notebook with a kernel to restore a checkpoint into it.', { autoClose: 5000 });
      return;
    }
    const same = model.isOfShownNotebook(recorded);
    const current = model.notebookPath;
    let target = current ? notebookName(current) : 'this notebook';
    let notebook = recorded ? notebookName(recorded) : null;
    if (!same && current && notebook === target) {
      // Two notebooks of one name in different folders: name them by their paths.
      target = current;
      notebook = model.locationOf(recorded);
    }
    const source = { same, notebook };
    if (!(await confirmRestore(what, target, source))) {
      return;
    }
    try {
      await model.restore(kernel.id, uri, false);
    } catch (error) {
      if (error instanceof ApiError && error.body?.trustRequired === true) {
        if (await confirmTrust(uri)) {
          await model.restore(kernel.id, uri, true).catch(again => notifyStartFailure(again));
        }
        return;
      }
      notifyStartFailure(error);
    }
  };
  return {
    restore: entry =>
      isReadable(entry)
        ? restoreUri(entry.uri, `the checkpoint from ${formatTime(entry.createdAt)}`, entry.notebookPath)
        : Promise.resolve(),
    restoreFrom: async () => {
      const uri = await askLocation();
      if (!uri) {
        return;
      }
      // The manifest says which notebook the checkpoint is of (reading it loads no pickle).
      let recorded: string | null;
      try {
        recorded = (await model.describe(uri)).notebookPath;
      } catch (error) {
        Notification.error(`Could not read a checkpoint at ${uri}: ${(error as Error).message}`, { autoClose: false });
        return;
      }
      await restoreUri(uri, `the checkpoint at ${uri}`, recorded);
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
