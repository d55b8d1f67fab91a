import type { CheckpointEntry, ICheckpointList, IJob } from '@elastic-notebook/protocol';
import { ApiError } from '../../shared/api';
import { deferred, fakeKernel, settle } from '../../shared/__tests__/modelFakes';
import { job as wireJob } from '../../shared/__tests__/viewFixtures';
import { ICheckpointService } from '../checkpointService';
import { CheckpointsModel } from '../checkpointsModel';

/** A readable checkpoint of the notebook at `notebookPath`. */
function entry(uri: string, notebookPath: string | null): CheckpointEntry {
  return {
    uri,
    error: null,
    checkpointId: uri,
    createdAt: '2026-12-05T10:00:00Z',
    formatVersion: 1,
    notebookPath,
    kernelName: 'python3',
    bytes: 2048,
    copiedVariables: 2,
    objective: 'balanced'
  };
}

/** A job as the companion answers it, under this spec's checkpoint root. */
const job = (fields: Partial<IJob>): IJob => wireJob({ uri: '/root/ckpt-1', ...fields });

/** A checkpoint service whose answers the spec sets, recording the calls it gets. */
class FakeCheckpointService implements ICheckpointService {
  list_: ICheckpointList | Error = { root: '/root', checkpoints: [] };
  /** The states `job()` answers, one per poll (the last one repeats). */
  polls: Array<IJob | Error> = [];
  kernelJobs: IJob[] = [];
  calls: string[] = [];
  /** While set, polls wait for it. */
  pollGate: Promise<void> | null = null;

  async startCheckpoint(kernelId: string): Promise<{ jobId: string; uri: string }> {
    this.calls.push(`checkpoint ${kernelId}`);
    return { jobId: 'j1', uri: '/root/ckpt-1' };
  }
  async startRestore(kernelId: string, uri: string, trust: boolean): Promise<{ jobId: string; uri: string }> {
    this.calls.push(`restore ${kernelId} ${uri} ${trust}`);
    return { jobId: 'j2', uri };
  }
  async startMigration(kernelId: string, request: { target: string; overwrite?: boolean }) {
    this.calls.push(`migrate ${kernelId} ${request.target}${request.overwrite ? ' overwrite' : ''}`);
    return { jobId: 'j3', uri: 'http://gpu:8888/' };
  }
  async job(jobId: string): Promise<IJob> {
    this.calls.push(`job ${jobId}`);
    await this.pollGate;
    const next = this.polls.length > 1 ? this.polls.shift()! : this.polls[0];
    if (next instanceof Error) {
      throw next;
    }
    return next;
  }
  async jobs(kernelId: string): Promise<IJob[]> {
    this.calls.push(`jobs ${kernelId}`);
    return this.kernelJobs;
  }
  async cancel(jobId: string): Promise<IJob> {
    this.calls.push(`cancel ${jobId}`);
    return job({ id: jobId, cancelRequested: true });
  }
  async list(): Promise<ICheckpointList> {
    this.calls.push('list');
    if (this.list_ instanceof Error) {
      throw this.list_;
    }
    return this.list_;
  }
  async describe(): Promise<never> {
    throw new Error('not used');
  }
  async remove(uri: string): Promise<void> {
    this.calls.push(`remove ${uri}`);
  }
}

describe('CheckpointsModel', () => {
  it('lists when shown, splits this notebook from the others, and keeps the list on a failure', async () => {
    const service = new FakeCheckpointService();
    service.list_ = { root: '/root', checkpoints: [entry('/root/a1', 'a.ipynb'), entry('/root/b1', 'b.ipynb')] };
    const model = new CheckpointsModel(service);
    model.setKernel(fakeKernel('k1'), 'a.ipynb');
    await settle();
    expect(service.calls).not.toContain('list');
    model.visible = true;
    await settle();
    expect(model.root).toBe('/root');
    expect(model.split?.own.map(e => e.uri)).toEqual(['/root/a1']);
    expect(model.split?.others.map(e => e.uri)).toEqual(['/root/b1']);
    service.list_ = new Error('disk gone');
    await model.refresh();
    expect(model.error).toBe('could not list the checkpoints: disk gone');
    expect(model.entries).toHaveLength(2);
    model.dispose();
  });

  it('lists again under a new root when the storage settings change while shown', async () => {
    const service = new FakeCheckpointService();
    const model = new CheckpointsModel(service);
    model.visible = true;
    await settle();
    service.list_ = { root: '/elsewhere', checkpoints: [] };
    model.storage = { ...model.storage, checkpointRoot: '/elsewhere' };
    expect(model.entries).toBeNull();
    await settle();
    expect(model.root).toBe('/elsewhere');
    expect(service.calls.filter(call => call === 'list')).toHaveLength(2);
    model.dispose();
  });

  it('shows a started checkpoint at once, follows it to its end, and lists again', async () => {
    const service = new FakeCheckpointService();
    service.polls = [job({ state: 'done', finishedAt: '2026-12-05T10:00:01Z' })];
    const model = new CheckpointsModel(service);
    model.setKernel(fakeKernel('k1'), 'a.ipynb');
    model.visible = true;
    const seen: string[] = [];
    model.jobChanged.connect((_, changed) => seen.push(changed.state));
    const request = {
      objective: 'balanced' as const,
      marks: { neverRerun: { cellIds: [], cellIndices: [] }, alwaysCopy: [], neverCopy: [] },
      notebookPath: 'a.ipynb'
    };
    const gate = deferred<void>();
    service.pollGate = gate.promise;
    const checkpointing = model.checkpoint('k1', request);
    await settle();
    expect(model.job?.state).toBe('running');
    expect(model.job?.uri).toBe('/root/ckpt-1');
    expect(model.isBusy('k1')).toBe(true);
    gate.resolve();
    const last = await checkpointing;
    await settle();
    expect(last?.state).toBe('done');
    expect(seen).toEqual(['running', 'done']);
    expect(model.isBusy('k1')).toBe(false);
    expect(service.calls.filter(call => call === 'list').length).toBeGreaterThanOrEqual(2);
    model.dispose();
  });

  it("starts a migration and follows it to its end, keeping the kernel's other buttons busy meanwhile", async () => {
    const service = new FakeCheckpointService();
    service.polls = [
      job({ id: 'j3', kind: 'migrate', state: 'failed', error: 'exists', errorCode: 'notebook-exists' })
    ];
    const model = new CheckpointsModel(service);
    model.setKernel(fakeKernel('k1'), 'a.ipynb');
    const gate = deferred<void>();
    service.pollGate = gate.promise;
    const request = {
      target: 'gpu',
      objective: 'balanced' as const,
      marks: { neverRerun: { cellIds: [], cellIndices: [] }, alwaysCopy: [], neverCopy: [] },
      notebookPath: 'a.ipynb'
    };
    const migrating = model.migrate('k1', request);
    await settle();
    expect(model.job).toMatchObject({ kind: 'migrate', state: 'running', uri: 'http://gpu:8888/' });
    expect(model.isBusy('k1')).toBe(true);
    gate.resolve();
    const last = await migrating;
    expect(last).toMatchObject({ state: 'failed', errorCode: 'notebook-exists' });
    expect(service.calls).toContain('migrate k1 gpu');
    model.dispose();
  });

  it('tells when a restore ended, so that the history is fetched again', async () => {
    const service = new FakeCheckpointService();
    service.polls = [job({ id: 'j2', kind: 'restore', state: 'failed', error: 'kernel died' })];
    const model = new CheckpointsModel(service);
    const ended: IJob[] = [];
    model.restoreEnded.connect((_, restored) => ended.push(restored));
    await model.restore('k1', '/root/a1', true);
    expect(service.calls[0]).toBe('restore k1 /root/a1 true');
    expect(ended.map(e => e.error)).toEqual(['kernel died']);
    model.dispose();
  });

  it('picks up a job running for a newly shown kernel and follows it', async () => {
    const service = new FakeCheckpointService();
    service.kernelJobs = [job({ id: 'j9', state: 'running' })];
    service.polls = [job({ id: 'j9', state: 'done' })];
    const model = new CheckpointsModel(service);
    model.setKernel(fakeKernel('k1'), 'a.ipynb');
    await settle();
    await settle();
    expect(service.calls).toEqual(['jobs k1', 'job j9']);
    expect(model.job?.state).toBe('done');
    model.dispose();
  });

  it('marks a job failed when the companion no longer knows it', async () => {
    const service = new FakeCheckpointService();
    service.polls = [new ApiError(404, 'no job j1', true)];
    const model = new CheckpointsModel(service);
    model.setKernel(fakeKernel('k1'));
    const request = {
      objective: 'balanced' as const,
      marks: { neverRerun: { cellIds: [], cellIndices: [] }, alwaysCopy: [], neverCopy: [] },
      notebookPath: 'a.ipynb'
    };
    await expect(model.checkpoint('k1', request)).resolves.toBeNull();
    expect(model.job?.state).toBe('failed');
    expect(model.job?.error).toBe('lost track of the job: no job j1');
    model.dispose();
  });

  it('shows the cancel request the companion acknowledged, and lists again after a delete', async () => {
    const service = new FakeCheckpointService();
    const model = new CheckpointsModel(service);
    model.setKernel(fakeKernel('k1'));
    await model.cancel('j1');
    expect(model.job?.cancelRequested).toBe(true);
    await model.remove('/root/a1');
    expect(service.calls.slice(-2)).toEqual(['remove /root/a1', 'list']);
    model.dispose();
  });
});
