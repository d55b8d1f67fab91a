import { NotebookModel } from '@jupyterlab/notebook';
import type { INotebookTracker } from '@jupyterlab/notebook';
import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import { Signal } from '@lumino/signaling';
import type { Kernel } from '@jupyterlab/services';
import type { ICheckpointService } from '../../checkpoints/checkpointService';
import type { ITargetsService } from '../../targets/targetsService';
import { DEFAULT_STORAGE } from '../../checkpoints/storageSettings';
import type { IHistoryService } from '../../history/historyService';
import type { IPlanService } from '../../plan/planService';
import { fakeKernel, FakeBootstrapper } from '../../shared/__tests__/modelFakes';
import { ElasticNotebook } from '../elasticNotebook';

/** A notebook panel as far as the session models look at it: its kernel, path and model. */
class FakePanel {
  constructor(
    public kernel: Kernel.IKernelConnection | null,
    public path: string
  ) {}
  readonly model = new NotebookModel();
  readonly kernelChanged = new Signal<this, void>(this);
  readonly pathChanged = new Signal<this, string>(this);
  get sessionContext() {
    return { kernelChanged: this.kernelChanged, session: this.kernel ? { kernel: this.kernel } : null };
  }
  get context() {
    return { path: this.path, model: this.model, pathChanged: this.pathChanged };
  }
}

/** A notebook tracker with panels added and made current by hand. */
class FakeTracker {
  currentWidget: FakePanel | null = null;
  readonly widgetAdded = new Signal<this, FakePanel>(this);
  readonly currentChanged = new Signal<this, FakePanel | null>(this);
  add(panel: FakePanel): void {
    this.widgetAdded.emit(panel);
  }
  show(panel: FakePanel | null): void {
    this.currentWidget = panel;
    this.currentChanged.emit(panel);
  }
}

/** Settings whose composite values are `values`, changed by `update`. */
function settingsOf(values: Record<string, unknown>) {
  const changed = new Signal<unknown, void>({});
  const settings = { composite: { ...values }, changed };
  return {
    settings: settings as unknown as ISettingRegistry.ISettings,
    update(more: Record<string, unknown>) {
      Object.assign(settings.composite, more);
      changed.emit();
    }
  };
}

const services = {
  history: { graph: jest.fn(async () => null) } as IHistoryService,
  plan: { plan: jest.fn(async () => null) } as IPlanService,
  checkpoints: {
    list: jest.fn(async () => ({ root: '/root', checkpoints: [] })),
    jobs: jest.fn(async () => [])
  } as unknown as ICheckpointService,
  targets: { list: jest.fn(async () => []), add: jest.fn(), remove: jest.fn() } as unknown as ITargetsService
};

// A notebook model outside a document warns on first reads (Yjs); these specs read it on purpose.
beforeAll(() => jest.spyOn(console, 'warn').mockImplementation(() => undefined));
afterAll(() => jest.restoreAllMocks());

describe('ElasticNotebook', () => {
  let tracker: FakeTracker;
  let session: ElasticNotebook;
  beforeEach(() => {
    tracker = new FakeTracker();
    session = new ElasticNotebook(new FakeBootstrapper(), tracker as unknown as INotebookTracker, services);
  });
  afterEach(() => session.dispose());

  it('follows no notebook before one is current', () => {
    expect(session.history.kernel).toBeNull();
    expect(session.checkpoints.kernel).toBeNull();
    expect(session.marks.notebook).toBeNull();
    expect(session.services).toBe(services);
  });

  it("follows the current notebook's kernel, path and marks, in every model", () => {
    const first = new FakePanel(fakeKernel('k1'), 'a.ipynb');
    const second = new FakePanel(fakeKernel('k2'), 'b.ipynb');
    tracker.add(first);
    tracker.add(second);
    tracker.show(first);
    expect(session.history.kernel?.id).toBe('k1');
    expect(session.plan.kernel?.id).toBe('k1');
    expect(session.checkpoints.kernel?.id).toBe('k1');
    expect(session.targets.kernel?.id).toBe('k1');
    expect(session.history.notebookPath).toBe('a.ipynb');
    expect(session.marks.notebook).toBe(first.model);
    tracker.show(second);
    expect(session.history.kernel?.id).toBe('k2');
    expect(session.plan.kernel?.id).toBe('k2');
    expect(session.targets.kernel?.id).toBe('k2');
    expect(session.marks.notebook).toBe(second.model);
  });

  it('follows a kernel change or a rename of the current notebook only', () => {
    const current = new FakePanel(fakeKernel('k1'), 'a.ipynb');
    const other = new FakePanel(fakeKernel('k9'), 'z.ipynb');
    tracker.add(current);
    tracker.add(other);
    tracker.show(current);
    current.kernel = fakeKernel('k2');
    current.kernelChanged.emit();
    expect(session.history.kernel?.id).toBe('k2');
    current.path = 'renamed.ipynb';
    current.pathChanged.emit('renamed.ipynb');
    expect(session.checkpoints.notebookPath).toBe('renamed.ipynb');
    other.kernel = fakeKernel('k10');
    other.kernelChanged.emit();
    expect(session.history.kernel?.id).toBe('k2');
  });

  it('takes the objective and the storage from the settings, and their changes', () => {
    const { settings, update } = settingsOf({ defaultObjective: 'fast-restore', checkpointRoot: ' /data/ckpt ' });
    session.useSettings(settings);
    expect(session.plan.objective).toBe('fast-restore');
    expect(session.checkpoints.storage).toEqual({ ...DEFAULT_STORAGE, checkpointRoot: '/data/ckpt' });
    update({ defaultObjective: 'not-an-objective', s3Region: 'eu' });
    expect(session.plan.objective).toBe('fast-restore');
    expect(session.checkpoints.storage.s3Region).toBe('eu');
    update({ defaultObjective: 'fast-migrate' });
    expect(session.plan.objective).toBe('fast-migrate');
  });

  it("refreshes the history when a restore ends (the kernel's history is the restored one)", () => {
    const refresh = jest.spyOn(session.history, 'refresh');
    (session.checkpoints.restoreEnded as Signal<unknown, unknown>).emit({ kind: 'restore', state: 'done' });
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it('disposes every model and stops following the tracker', () => {
    session.dispose();
    expect(session.isDisposed).toBe(true);
    expect(session.history.isDisposed && session.plan.isDisposed && session.checkpoints.isDisposed).toBe(true);
    expect(session.marks.isDisposed).toBe(true);
    const panel = new FakePanel(fakeKernel('k1'), 'a.ipynb');
    tracker.add(panel);
    tracker.show(panel);
    expect(session.marks.notebook).toBeNull();
  });
});
