import { Notification, showDialog } from '@jupyterlab/apputils';
import type { INotebookTracker } from '@jupyterlab/notebook';
import type { IJob } from '@elastic-notebook/protocol';
import type { CheckpointsModel } from '../../checkpoints/checkpointsModel';
import type { NotebookMarks } from '../../marks/marksModel';
import type { PlanModel } from '../../plan/planModel';
import { ApiError } from '../../shared/api';
import { job } from '../../shared/__tests__/viewFixtures';
import { migrationActions } from '../migrationActions';
import type { TargetsModel } from '../targetsModel';
import { target, thisMachine, unreachable } from './targetFixtures';

// The dialog and the notifications are JupyterLab's: the spec answers the dialog and reads the notes.
jest.mock('@jupyterlab/apputils', () => {
  const actual = jest.requireActual('@jupyterlab/apputils');
  return {
    ...actual,
    showDialog: jest.fn(),
    Notification: { warning: jest.fn(), error: jest.fn() }
  };
});

const dialog = showDialog as jest.MockedFunction<typeof showDialog>;
const warning = Notification.warning as jest.Mock;
const error = Notification.error as jest.Mock;

/** The user's answer to the "replace notebook?" dialog. */
function answer(accept: boolean): void {
  dialog.mockResolvedValueOnce({ button: { accept } } as Awaited<ReturnType<typeof showDialog>>);
}

/** A migrate job, `fields` over a running one. */
const migrateJob = (fields: Partial<IJob> = {}): IJob =>
  job({ id: 'job-1', kind: 'migrate', uri: 'http://gpu.example:8888/', ...fields });

/** The models and notebook the actions work on, as fakes that record what is asked of them. */
function setup(options: { dirty?: boolean; notebook?: boolean; busy?: boolean; selected?: unknown } = {}) {
  const order: string[] = [];
  const save = jest.fn(async () => {
    order.push('save');
  });
  const refreshRunning = jest.fn(async () => {
    order.push('refresh sessions');
  });
  const notebook = {
    context: { path: 'work/analysis.ipynb', model: { dirty: options.dirty ?? false }, save },
    sessionContext: { sessionManager: { refreshRunning } }
  };
  const tracker = { currentWidget: options.notebook === false ? null : notebook } as unknown as INotebookTracker;
  const checkpoints = {
    job: null as IJob | null,
    kernel: { id: 'k1', name: 'python3' },
    isBusy: jest.fn(() => options.busy ?? false),
    migrate: jest.fn(async (): Promise<IJob | null> => {
      order.push('migrate');
      return migrateJob({ state: 'done' });
    }),
    cancel: jest.fn(async () => undefined)
  };
  const targets = { selectedTarget: 'selected' in options ? options.selected : target('gpu') };
  const plan = { objective: 'fast-migrate' };
  const marks = { marks: () => ({ neverCopy: ['big'] }) };
  const actions = migrationActions(tracker, {
    checkpoints: checkpoints as unknown as CheckpointsModel,
    targets: targets as unknown as TargetsModel,
    plan: plan as unknown as PlanModel,
    marks: marks as unknown as NotebookMarks
  });
  return { actions, checkpoints, save, order, refreshRunning };
}

const REQUEST = {
  target: 'gpu',
  objective: 'fast-migrate',
  marks: { neverCopy: ['big'] },
  notebookPath: 'work/analysis.ipynb',
  kernelName: 'python3'
};

/** The 409 the migrate route answers when a different notebook is at the path on the target. */
const notebookExists = () =>
  new ApiError(409, 'a different notebook exists at work/analysis.ipynb on gpu', true, {
    error: 'a different notebook exists',
    notebookExists: true
  });

beforeEach(() => {
  jest.clearAllMocks();
});

describe('migrationActions', () => {
  it('saves a modified notebook, then starts the migration with the plan objective and the marks', async () => {
    const { actions, checkpoints, order } = setup({ dirty: true });
    await actions.migrate();
    expect(order).toEqual(['save', 'migrate']);
    expect(checkpoints.migrate).toHaveBeenCalledWith('k1', REQUEST);
    expect(dialog).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
  });

  it('does not save a notebook that has no changes', async () => {
    const { actions, save, checkpoints } = setup({ dirty: false });
    await actions.migrate();
    expect(save).not.toHaveBeenCalled();
    expect(checkpoints.migrate).toHaveBeenCalledTimes(1);
  });

  it('says why instead of starting when the migration is blocked', async () => {
    for (const [options, message] of [
      [{ selected: null }, 'Pick a target above.'],
      [{ busy: true }, 'A checkpoint, restore or migration of this kernel is running.'],
      [{ selected: unreachable('down', 'connection refused') }, 'down is not reachable: connection refused.'],
      [{ notebook: false }, 'Open a notebook to migrate its session.']
    ] as const) {
      const { actions, checkpoints } = setup(options);
      await actions.migrate();
      expect(warning).toHaveBeenLastCalledWith(message, { autoClose: 5000 });
      expect(checkpoints.migrate).not.toHaveBeenCalled();
    }
  });

  it('asks before replacing a different notebook on the target, and Replace migrates with overwrite', async () => {
    const { actions, checkpoints } = setup();
    checkpoints.migrate.mockRejectedValueOnce(notebookExists());
    answer(true);
    await actions.migrate();
    expect(dialog).toHaveBeenCalledTimes(1);
    const shown = dialog.mock.calls[0][0]!;
    expect(shown.title).toBe('Replace the notebook on the target?');
    expect(shown.body).toContain('gpu already has a different notebook at work/analysis.ipynb');
    expect(checkpoints.migrate.mock.calls).toEqual([
      ['k1', REQUEST],
      ['k1', { ...REQUEST, overwrite: true }]
    ]);
    expect(error).not.toHaveBeenCalled();
  });

  it('keeps the notebook on the target when the user cancels the dialog', async () => {
    const { actions, checkpoints } = setup();
    checkpoints.migrate.mockRejectedValueOnce(notebookExists());
    answer(false);
    await actions.migrate();
    expect(dialog).toHaveBeenCalledTimes(1);
    expect(checkpoints.migrate).toHaveBeenCalledTimes(1);
    expect(error).not.toHaveBeenCalled();
  });

  it('asks too when the job itself found the notebook (it appeared after the route looked)', async () => {
    const { actions, checkpoints } = setup();
    checkpoints.migrate.mockResolvedValueOnce(
      migrateJob({ state: 'failed', error: 'a different notebook exists', errorCode: 'notebook-exists' })
    );
    answer(true);
    await actions.migrate();
    expect(checkpoints.migrate).toHaveBeenLastCalledWith('k1', { ...REQUEST, overwrite: true });
  });

  it('does not ask after a migration that failed for another reason', async () => {
    const { actions, checkpoints } = setup();
    checkpoints.migrate.mockResolvedValueOnce(migrateJob({ state: 'failed', error: 'the target cannot import x' }));
    await actions.migrate();
    expect(dialog).not.toHaveBeenCalled();
    expect(checkpoints.migrate).toHaveBeenCalledTimes(1);
  });

  it('reports a migration that could not start, and other 409s are not taken for the notebook question', async () => {
    const { actions, checkpoints } = setup();
    checkpoints.migrate.mockRejectedValueOnce(
      new ApiError(409, 'a checkpoint of this kernel is running', true, { error: 'busy' })
    );
    await actions.migrate();
    expect(dialog).not.toHaveBeenCalled();
    expect(error).toHaveBeenCalledWith('Migration could not start: a checkpoint of this kernel is running', {
      autoClose: false
    });
  });

  it('asks the source kernel to stop after a verified migration only when the user ticked it', async () => {
    const { actions, checkpoints } = setup();
    await actions.migrate({ stopSource: true });
    expect(checkpoints.migrate).toHaveBeenCalledWith('k1', { ...REQUEST, stopSource: true });
    await actions.migrate();
    expect(checkpoints.migrate).toHaveBeenLastCalledWith('k1', REQUEST);
  });

  it('follows the new kernel at once after a migration to this machine, not after others', async () => {
    const { actions, checkpoints, order, refreshRunning } = setup({ selected: thisMachine() });
    checkpoints.migrate.mockImplementationOnce(async () => {
      order.push('migrate');
      return migrateJob({ state: 'done', result: { transport: 'local' } });
    });
    await actions.migrate();
    expect(order).toEqual(['migrate', 'refresh sessions']);
    expect(checkpoints.migrate).toHaveBeenCalledWith('k1', { ...REQUEST, target: 'this machine' });
    expect(refreshRunning).toHaveBeenCalledTimes(1);
    const other = setup();
    await other.actions.migrate();
    expect(other.checkpoints.migrate).toHaveBeenCalledTimes(1);
    expect(other.refreshRunning).not.toHaveBeenCalled();
  });

  it('shows only migrate jobs as the migration job', () => {
    const { actions, checkpoints } = setup();
    expect(actions.job()).toBeNull();
    checkpoints.job = migrateJob({ kind: 'checkpoint' });
    expect(actions.job()).toBeNull();
    const running = migrateJob();
    checkpoints.job = running;
    expect(actions.job()).toBe(running);
  });

  it('cancels a running migration, and says so when the cancel fails', async () => {
    const { actions, checkpoints } = setup();
    await actions.cancel(migrateJob());
    expect(checkpoints.cancel).toHaveBeenCalledWith('job-1');
    expect(error).not.toHaveBeenCalled();
    checkpoints.cancel.mockRejectedValueOnce(new Error('the job has ended'));
    await actions.cancel(migrateJob());
    expect(error).toHaveBeenCalledWith('Could not cancel: the job has ended', { autoClose: 5000 });
  });

  it('has no blocker for a reachable target and a kernel with nothing running', () => {
    expect(setup().actions.blocker()).toBeNull();
  });
});
