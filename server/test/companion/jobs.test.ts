/** The job registry and job state, and where checkpoints go (CheckpointLocations). */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { bundleStem, CheckpointLocations } from '../../src/companion/checkpointLocations';
import { CompanionMeasurements } from '../../src/companion/measurements';
import { JobRegistry, KernelBusyError } from '../../src/jobs/jobRegistry';
import { Gate } from './fakeKernels';

const MIB = 1 << 20;

describe('jobs', () => {
  test('a job reports its steps and progress while running, then its result', async () => {
    const jobs = new JobRegistry();
    const gate = new Gate();
    const job = jobs.start('checkpoint', 'k', '/b', async context => {
      context.step('one');
      context.progress(5, 10);
      await gate.pass();
      return { answer: 42 };
    });
    await gate.reached;
    expect(job.toJSON()).toMatchObject({
      state: 'running',
      progress: { bytesDone: 5, bytesTotal: 10 },
      result: null,
      finishedAt: null
    });
    expect(job.toJSON().steps.map(s => s.message)).toEqual(['one']);
    gate.release();
    await jobs.settled();
    expect(job.toJSON()).toMatchObject({ state: 'done', progress: null, result: { answer: 42 }, error: null });
    expect(job.toJSON().finishedAt).not.toBeNull();
    expect(job.cancel()).toBe(false);
  });

  test('a failing task fails the job with its message; after a cancel it is cancelled', async () => {
    const jobs = new JobRegistry();
    const failed = jobs.start('restore', 'a', '/b', async () => {
      throw new Error('boom');
    });
    await jobs.settled();
    expect(failed.toJSON()).toMatchObject({ state: 'failed', error: 'boom' });

    const gate = new Gate();
    const cancelled = jobs.start('restore', 'a', '/b', async context => {
      await gate.pass();
      if (context.signal.aborted) {
        throw new Error('stopped');
      }
    });
    await gate.reached;
    expect(cancelled.cancel()).toBe(true);
    gate.release();
    await jobs.settled();
    expect(cancelled.toJSON()).toMatchObject({ state: 'cancelled', error: 'stopped', cancelRequested: true });
  });

  test('unexpected errors are logged and shown as internal errors', async () => {
    const warnings: string[] = [];
    const jobs = new JobRegistry({
      warn: m => warnings.push(m),
      isExpected: err => (err as Error).message === 'expected'
    });
    const a = jobs.start('checkpoint', 'k1', '/a', async () => {
      throw new Error('expected');
    });
    const b = jobs.start('checkpoint', 'k2', '/b', async () => {
      throw new TypeError('x is undefined');
    });
    await jobs.settled();
    expect(a.toJSON().error).toBe('expected');
    expect(b.toJSON().error).toBe('internal error: x is undefined');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/TypeError: x is undefined/);
  });

  test('one running job per kernel; finished jobs are forgotten beyond the limit', async () => {
    const jobs = new JobRegistry({ maxFinished: 2 });
    const gate = new Gate();
    const running = jobs.start('checkpoint', 'k', '/a', () => gate.pass());
    expect(() => jobs.start('restore', 'k', '/b', async () => undefined)).toThrow(KernelBusyError);
    expect(jobs.running('k')).toBe(running);
    expect(jobs.usingBundle('/a')).toBe(running);
    gate.release();
    await jobs.settled();
    const ids = [running.id];
    for (let i = 0; i < 3; i++) {
      ids.push(jobs.start('checkpoint', 'k', `/x${i}`, async () => i).id);
      await jobs.settled();
    }
    // The limit is applied when the next job starts or jobs are listed.
    expect(jobs.list().map(j => j.id)).toEqual([ids[3], ids[2]]);
    expect(jobs.get(ids[0])).toBeUndefined();
  });

  test('a long job keeps its first step and the latest ones', async () => {
    const jobs = new JobRegistry();
    const job = jobs.start('restore', 'k', '/a', async context => {
      for (let i = 0; i < 600; i++) {
        context.step(`step ${i}`);
      }
    });
    await jobs.settled();
    const steps = job.toJSON().steps.map(s => s.message);
    expect(steps[0]).toBe('step 0');
    expect(steps[1]).toBe('(100 more steps)');
    expect(steps.at(-1)).toBe('step 599');
    expect(steps).toHaveLength(501);
  });
});

describe('checkpoint locations', () => {
  const data = path.join(os.tmpdir(), 'en-data');
  const jupyterRoot = path.join(os.tmpdir(), 'en-root');

  test('the default root is <dataDir>/checkpoints unless configured; relative paths follow the Jupyter root', () => {
    expect(new CheckpointLocations('', data, jupyterRoot).defaultRoot).toBe(path.join(data, 'checkpoints'));
    expect(new CheckpointLocations('ckpts', data, jupyterRoot).defaultRoot).toBe(path.join(jupyterRoot, 'ckpts'));
    expect(new CheckpointLocations('s3://bucket/team/', data, jupyterRoot).defaultRoot).toBe('s3://bucket/team');
    const locations = new CheckpointLocations('', data, jupyterRoot);
    expect(locations.root('')).toBe(path.join(data, 'checkpoints'));
    expect(locations.root('other')).toBe(path.join(jupyterRoot, 'other'));
    expect(locations.notebookPath('dir/a.ipynb')).toBe(path.join(jupyterRoot, 'dir', 'a.ipynb'));
    expect(locations.notebookPath(undefined)).toBeNull();
  });

  test('a new bundle is named after the notebook and a checkpoint-id-like stamp', () => {
    const locations = new CheckpointLocations('', data, jupyterRoot);
    const now = new Date('2026-11-21T10:15:00Z');
    expect(locations.newBundle(locations.defaultRoot, 'dir/Sales report (v2).ipynb', now)).toMatch(
      new RegExp(
        `^${path.join(data, 'checkpoints').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/Sales-report-v2-20261121T101500Z-[0-9a-f]{8}$`
      )
    );
    expect(locations.newBundle('s3://bucket/team', null, now)).toMatch(
      /^s3:\/\/bucket\/team\/session-20261121T101500Z-[0-9a-f]{8}$/
    );
    expect(bundleStem('..ipynb')).toBe('session');
    expect(bundleStem('x'.repeat(200) + '.ipynb')).toHaveLength(80);
  });

  test('only folders inside the default local root restore without trust', () => {
    const locations = new CheckpointLocations('', data, jupyterRoot);
    expect(locations.needsTrust(path.join(data, 'checkpoints', 'a'))).toBe(false);
    expect(locations.needsTrust(path.join(data, 'checkpoints', 'a', '..', '..', 'b'))).toBe(true);
    expect(locations.needsTrust(path.join(data, 'checkpoints-evil', 'a'))).toBe(true);
    expect(locations.needsTrust('s3://bucket/a')).toBe(true);
    const s3Root = new CheckpointLocations('s3://bucket/team', data, jupyterRoot);
    expect(s3Root.needsTrust('s3://bucket/team/a')).toBe(true);
  });
});

describe('companion measurements', () => {
  test('transfers are remembered per store and survive a reopen: small ones price latency, large ones bandwidth', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'en-measure-'));
    try {
      const first = new CompanionMeasurements(dir);
      expect(await first.forUri('/data/checkpoints/b')).toEqual({ store: 'local' });
      for (let i = 0; i < 3; i++) {
        await first.record('/data/checkpoints/a', [{ kind: 'write', bytes: 4500, ms: 30 }]);
        await first.record('s3://bucket/a', [{ kind: 'write', bytes: 8 * MIB, ms: 1000 }], 'http://minio:9000');
        await first.record('/data/checkpoints/a', [{ kind: 'write', bytes: 4 * MIB, ms: 130 }]);
      }
      await first.remember(
        'history',
        { groups: [{ members: ['x'], decision: 'copy' } as never] },
        { runId: 'r', durationsMs: [5] },
        true
      );
      const again = new CompanionMeasurements(dir);
      const local = (await again.forUri('/elsewhere')).throughputs?.write;
      // 30 ms per small write is latency; the 4 MiB writes are 40 MiB/s beyond it.
      expect(local?.latencyMs).toBeCloseTo(30, 0);
      expect((local?.bytesPerSec?.[1] ?? 0) / (40 * MIB)).toBeCloseTo(1, 1);
      const s3 = (await again.forUri('s3://bucket/other', 'http://minio:9000')).throughputs?.write;
      expect(s3?.rateSamples).toEqual([3, 3, 3]);
      // Another endpoint's bucket of the same name has nothing measured.
      expect((await again.forUri('s3://bucket/other', 'http://other:9000')).throughputs).toBeUndefined();
      expect(await again.previous('history')).toEqual({
        decisions: { '["x"]': 'copy' },
        runs: [{ runId: 'r', durationsMs: [5] }]
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
