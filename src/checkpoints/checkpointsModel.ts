import { Kernel } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';
import { KernelScopedModel } from '../shared/kernelScopedModel';
import { isOfNotebook, ISplitEntries, notebookLocation, serverRoot, splitEntries } from './checkpointNotebook';
import type { CheckpointEntry, ICheckpointSummary, IJob, IStartedJob } from '@elastic-notebook/protocol';
import { checkpointService, ICheckpointRequest, ICheckpointService, IMigrateRequest } from './checkpointService';
import { followJob } from './jobFollower';
import { DEFAULT_STORAGE, IStorageSettings } from './storageSettings';

/**
 * Checkpoints and jobs for the panel and the toolbar button: the checkpoints under the configured
 * root, and the jobs started from this page or found running for the shown kernel, followed until
 * they end. The jobs run in the companion, so a reload only loses the watching: showing the
 * kernel again picks a running job up. Views and notifications listen to `changed` and
 * `jobChanged`.
 */
export class CheckpointsModel extends KernelScopedModel {
  constructor(private readonly service: ICheckpointService = checkpointService) {
    super();
  }

  /** Emitted with every new state seen of a followed job. */
  get jobChanged(): ISignal<this, IJob> {
    return this._jobChanged;
  }

  /** Emitted when a restore ended (in any state): its kernel was restarted. */
  get restoreEnded(): ISignal<this, IJob> {
    return this._restoreEnded;
  }

  /** Where checkpoints are listed and written. Changing it lists again. */
  get storage(): IStorageSettings {
    return this._storage;
  }
  set storage(value: IStorageSettings) {
    if (JSON.stringify(value) === JSON.stringify(this._storage)) {
      return;
    }
    this._storage = value;
    this._entries = null;
    this._root = null;
    this.emitChanged();
    this._refreshIfShown();
  }

  /** The canonical root last listed, or null before the first listing. */
  get root(): string | null {
    return this._root;
  }

  /** The checkpoints under the root, newest first; null until listed. */
  get entries(): CheckpointEntry[] | null {
    return this._entries;
  }

  /** The listing split into this notebook's checkpoints, the others' and the unreadable ones. */
  get split(): ISplitEntries | null {
    return this._entries ? splitEntries(this._entries, this.notebookPath, this._serverRoot) : null;
  }

  /** Whether a checkpoint whose manifest records the notebook `recorded` is of the notebook shown. */
  isOfShownNotebook(recorded: string | null): boolean {
    return this.notebookPath !== null && isOfNotebook(recorded, this.notebookPath, this._serverRoot);
  }

  /** Where the notebook a manifest records is: relative to the Jupyter root when under it. */
  locationOf(recorded: string | null): string | null {
    return notebookLocation(recorded, this._serverRoot);
  }

  /** Whether the list shows the checkpoints of other notebooks too (after this notebook's). */
  get showOthers(): boolean {
    return this._showOthers;
  }
  set showOthers(value: boolean) {
    if (value !== this._showOthers) {
      this._showOthers = value;
      this.emitChanged();
    }
  }

  /** The latest job known for the shown kernel. */
  get job(): IJob | null {
    return this.kernel ? (this._jobs.get(this.kernel.id) ?? null) : null;
  }

  /** Whether a job is running for `kernelId`, as far as this page knows. */
  isBusy(kernelId: string): boolean {
    return this._jobs.get(kernelId)?.state === 'running';
  }

  /**
   * List the checkpoints under the root now (whatever kernel is shown: the list is the root's).
   * Never rejects: a failure is kept in `error`.
   */
  refresh(): Promise<void> {
    const storage = this._storage;
    return this.fetchLatest(
      () => this.service.list(storage),
      list => {
        this._entries = list.checkpoints;
        this._root = list.root;
      },
      { failure: 'could not list the checkpoints', ofKernel: false }
    );
  }

  /**
   * Start a checkpoint of `kernelId` and follow it; resolves with its last state. Rejects (an
   * `ApiError`) when the companion refuses to start it.
   */
  async checkpoint(kernelId: string, request: ICheckpointRequest): Promise<IJob | null> {
    const started = await this.service.startCheckpoint(kernelId, request, this._storage);
    return this._followStarted(kernelId, 'checkpoint', started);
  }

  /**
   * Start restoring `uri` into `kernelId` (the kernel restarts) and follow it. Rejects with the
   * companion's `ApiError` when it refuses (`body.trustRequired` for a bundle outside the root).
   */
  async restore(kernelId: string, uri: string, trust: boolean): Promise<IJob | null> {
    const started = await this.service.startRestore(kernelId, uri, trust, this._storage);
    return this._followStarted(kernelId, 'restore', started);
  }

  /**
   * Start migrating `kernelId`'s session to a target and follow it; resolves with its last state
   * (`errorCode: 'notebook-exists'` when the target holds a different notebook at that path).
   * Rejects (an `ApiError`) when the companion refuses to start it.
   */
  async migrate(kernelId: string, request: IMigrateRequest): Promise<IJob | null> {
    const started = await this.service.startMigration(kernelId, request);
    return this._followStarted(kernelId, 'migrate', started);
  }

  /** The checkpoint at `uri` (any location), read from its manifest. Rejects with the companion's error. */
  describe(uri: string): Promise<ICheckpointSummary> {
    return this.service.describe(uri, this._storage);
  }

  /** Delete a checkpoint, then list again. Rejects with the companion's error. */
  async remove(uri: string): Promise<void> {
    await this.service.remove(uri, this._storage);
    await this.refresh();
  }

  /** Ask a job to stop. Rejects with the companion's error (it has already ended, for instance). */
  async cancel(jobId: string): Promise<void> {
    const job = await this.service.cancel(jobId);
    this._update(job);
  }

  /** Another kernel is shown: pick up a job running for it. */
  protected onKernelChanged(kernel: Kernel.IKernelConnection | null): void {
    if (kernel && !this._jobs.has(kernel.id)) {
      void this._pickUp(kernel.id);
    }
  }

  /** Record a job's state and tell listeners. */
  private _update(job: IJob): void {
    if (this.isDisposed) {
      return;
    }
    this._jobs.set(job.kernelId, job);
    this._jobChanged.emit(job);
    this.emitChanged();
  }

  private async _followStarted(kernelId: string, kind: IJob['kind'], started: IStartedJob): Promise<IJob | null> {
    // Shown at once, before the first poll answers.
    this._update({
      id: started.jobId,
      kind,
      kernelId,
      uri: started.uri,
      state: 'running',
      steps: [],
      progress: null,
      cancelRequested: false,
      result: null,
      error: null,
      createdAt: new Date().toISOString(),
      finishedAt: null
    });
    return this._follow(started.jobId);
  }

  /** Follow a job until it ends (once per job, however often asked). */
  private async _follow(jobId: string): Promise<IJob | null> {
    if (this._followed.has(jobId)) {
      return null;
    }
    this._followed.add(jobId);
    try {
      const last = await followJob(this.service, jobId, job => this._update(job), { stopped: () => this.isDisposed });
      if (last && last.state !== 'running') {
        if (last.kind === 'checkpoint') {
          this._refreshIfShown();
        } else {
          this._restoreEnded.emit(last);
        }
      }
      return last;
    } catch (reason) {
      // The companion lost the job (it restarted) or cannot be reached: say so in the job.
      const known = [...this._jobs.values()].find(job => job.id === jobId);
      if (known) {
        this._update({ ...known, state: 'failed', error: `lost track of the job: ${(reason as Error).message}` });
      }
      return null;
    } finally {
      this._followed.delete(jobId);
    }
  }

  /** Show the latest job of a kernel, following it if it still runs. */
  private async _pickUp(kernelId: string): Promise<void> {
    let jobs: IJob[];
    try {
      jobs = await this.service.jobs(kernelId);
    } catch {
      return; // The panel's list shows the server errors; a missing job view is harmless.
    }
    const latest = jobs[0];
    if (!latest || this._jobs.has(kernelId) || this.isDisposed) {
      return;
    }
    this._jobs.set(kernelId, latest);
    this.emitChanged();
    if (latest.state === 'running') {
      void this._follow(latest.id);
    }
  }

  private _refreshIfShown(): void {
    if (this.visible) {
      void this.refresh();
    }
  }

  private _storage: IStorageSettings = DEFAULT_STORAGE;
  private _root: string | null = null;
  private _entries: CheckpointEntry[] | null = null;
  private _showOthers = false;
  private readonly _serverRoot = serverRoot();
  private _jobs = new Map<string, IJob>();
  private _followed = new Set<string>();
  private _jobChanged = new Signal<this, IJob>(this);
  private _restoreEnded = new Signal<this, IJob>(this);
}
