import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import type { INotebookTracker } from '@jupyterlab/notebook';
import type { IJob, IMigrateJobResult } from '@elastic-notebook/protocol';
import type { IMigrateRequest } from '../checkpoints/checkpointService';
import type { CheckpointsModel } from '../checkpoints/checkpointsModel';
import { ApiError } from '../shared/api';
import type { NotebookMarks } from '../marks/marksModel';
import type { PlanModel } from '../plan/planModel';
import { migrationBlocker } from './migrationBlocker';
import type { TargetsModel } from './targetsModel';

/** What the Targets section's Migrate button needs. */
export interface IMigrationActions {
  /** Why the shown session cannot be migrated to the picked target now; null when it can. */
  blocker(): string | null;
  /** The shown kernel's migration job (running or ended), if it is the latest job. */
  job(): IJob | null;
  /**
   * Migrate the shown session to the picked target, asking before a notebook there is replaced;
   * with `stopSource` the kernel is shut down once the target verified the migrated session.
   */
  migrate(options?: { stopSource?: boolean }): Promise<void>;
  /** Ask the running migration to stop (it undoes what it did on the target). */
  cancel(job: IJob): Promise<void>;
}

/** Ask whether a different notebook at `path` on `target` may be replaced. */
async function confirmReplace(path: string, target: string): Promise<boolean> {
  const result = await showDialog({
    title: 'Replace the notebook on the target?',
    body:
      `${target} already has a different notebook at ${path}. Replace it with this one and migrate? ` +
      'Its current content there is lost.',
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Replace' })]
  });
  return result.button.accept;
}

/**
 * The Migrate button's actions over the session models: the notebook is saved first (the target
 * gets the file as saved), the job reports through the checkpoints model (progress in the panel,
 * notifications), and a different notebook on the target is replaced only after asking.
 */
export function migrationActions(
  tracker: INotebookTracker,
  models: { checkpoints: CheckpointsModel; targets: TargetsModel; plan: PlanModel; marks: NotebookMarks }
): IMigrationActions {
  const { checkpoints, targets, plan, marks } = models;
  const job = () => (checkpoints.job?.kind === 'migrate' ? checkpoints.job : null);
  const blocker = () =>
    migrationBlocker(
      targets.selectedTarget,
      checkpoints.kernel !== null,
      checkpoints.kernel !== null && checkpoints.isBusy(checkpoints.kernel.id)
    );
  /**
   * Start and follow a migration; resolves with whether the target holds a different notebook at
   * that path (the route says so before starting, the job again if one appeared meanwhile).
   */
  const startOrAsk = async (
    kernelId: string,
    request: IMigrateRequest,
    sessions: { refreshRunning(): Promise<void> }
  ): Promise<boolean> => {
    try {
      const ended = await checkpoints.migrate(kernelId, request);
      if (ended?.state === 'done' && (ended.result as IMigrateJobResult | null)?.transport === 'local') {
        // The notebook's session now uses the new kernel: follow it now, not at the next sessions poll.
        await sessions.refreshRunning();
      }
      return ended?.errorCode === 'notebook-exists';
    } catch (error) {
      if (error instanceof ApiError && error.body?.notebookExists === true) {
        return true;
      }
      throw error;
    }
  };
  return {
    blocker,
    job,
    async migrate(options = {}) {
      const notebook = tracker.currentWidget;
      const kernel = checkpoints.kernel;
      const target = targets.selectedTarget;
      const why = blocker();
      if (why || !notebook || !kernel || !target) {
        Notification.warning(why ?? 'Open a notebook to migrate its session.', { autoClose: 5000 });
        return;
      }
      try {
        if (notebook.context.model.dirty) {
          await notebook.context.save();
        }
        const request = {
          target: target.name,
          objective: plan.objective,
          marks: marks.marks(),
          notebookPath: notebook.context.path,
          kernelName: kernel.name,
          ...(options.stopSource ? { stopSource: true } : {})
        };
        const sessions = notebook.sessionContext.sessionManager;
        if (
          (await startOrAsk(kernel.id, request, sessions)) &&
          (await confirmReplace(request.notebookPath, target.name))
        ) {
          await checkpoints.migrate(kernel.id, { ...request, overwrite: true });
        }
      } catch (error) {
        Notification.error(`Migration could not start: ${(error as Error).message}`, { autoClose: false });
      }
    },
    cancel: running =>
      checkpoints.cancel(running.id).catch(error => {
        Notification.error(`Could not cancel: ${(error as Error).message}`, { autoClose: 5000 });
      })
  };
}
