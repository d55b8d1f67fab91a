import { checkpointResult, job, migrateResult, restoreResult, verification } from '../../shared/__tests__/viewFixtures';
import { currentStep, jobMessage, jobName, jobSeverity, openableMigration, progressFraction } from '../jobText';

describe('job text', () => {
  it('names the kind of job', () => {
    expect(jobName(job())).toBe('Checkpoint');
    expect(jobName(job({ kind: 'restore' }))).toBe('Restore');
    expect(jobName(job({ kind: 'migrate' }))).toBe('Migration');
  });

  it('says where a migrated session is, and whether it matches the source', () => {
    const done = job({ kind: 'migrate', state: 'done', result: migrateResult() });
    expect(jobMessage(done)).toBe(
      'Migrated to gpu-box: copied 1 variable (2 MB sent), re-ran 1 execution; took 650 ms.'
    );
    expect(jobSeverity(done)).toBe('success');
    const differs = job({
      kind: 'migrate',
      state: 'done',
      result: migrateResult({
        verification: verification({ ok: false, differ: ['df'] })
      })
    });
    expect(jobMessage(differs)).toMatch(/^Migrated to gpu-box, but df differs from the source: /);
    expect(jobSeverity(differs)).toBe('warning');
    expect(jobMessage(job({ kind: 'migrate', state: 'failed', error: 'the target refused the token' }))).toBe(
      'Migration failed: the target refused the token'
    );
  });

  it('says how the bundle went and whether the source was stopped; only another server opens the notebook', () => {
    const shared = job({ kind: 'migrate', state: 'done', result: migrateResult({ transport: 'shared-store' }) });
    expect(jobMessage(shared)).toBe(
      'Migrated to gpu-box: copied 1 variable (2 MB through the shared store), re-ran 1 execution; took 650 ms.'
    );
    expect(openableMigration(shared)?.notebookUrl).toBe('http://gpu-box:8888/lab/tree/nb.ipynb');
    const here = job({
      kind: 'migrate',
      state: 'done',
      result: migrateResult({ target: 'this machine', transport: 'local', sourceStopped: true })
    });
    expect(jobMessage(here)).toBe(
      'Migrated to this machine: copied 1 variable (2 MB checkpointed here), re-ran 1 execution; took 650 ms. ' +
        'The source kernel was stopped.'
    );
    expect(openableMigration(here)).toBeNull();
    expect(openableMigration(job({ kind: 'migrate', state: 'failed' }))).toBeNull();
  });

  it('shows the last step, the bytes under way and a pending cancel', () => {
    expect(currentStep(job())).toBe('starting');
    const running = job({
      steps: [
        { message: 'planning', at: '2026-12-05T00:00:01Z' },
        { message: 'writing payloads', at: '2026-12-05T00:00:02Z' }
      ],
      progress: { bytesDone: 1_500_000, bytesTotal: 3_000_000 },
      cancelRequested: true
    });
    expect(currentStep(running)).toBe('writing payloads (1.5 MB of 3 MB), cancelling…');
    expect(jobMessage(running)).toBe('Checkpoint: writing payloads (1.5 MB of 3 MB), cancelling…');
    expect(jobSeverity(running)).toBe('in-progress');
  });

  it('gives the transfer fraction, capped at 1, only when bytes are known', () => {
    expect(progressFraction(job())).toBeUndefined();
    expect(progressFraction(job({ progress: { bytesDone: 0, bytesTotal: 0 } }))).toBeUndefined();
    expect(progressFraction(job({ progress: { bytesDone: 1, bytesTotal: 4 } }))).toBe(0.25);
    expect(progressFraction(job({ progress: { bytesDone: 9, bytesTotal: 4 } }))).toBe(1);
  });

  it('says why a job failed, and that it was cancelled', () => {
    const failed = job({ kind: 'restore', state: 'failed', error: 'the kernel died' });
    expect(jobMessage(failed)).toBe('Restore failed: the kernel died');
    expect(jobSeverity(failed)).toBe('error');
    expect(jobMessage(job({ state: 'failed' }))).toBe('Checkpoint failed: unknown error');
    const cancelled = job({ state: 'cancelled' });
    expect(jobMessage(cancelled)).toBe('Checkpoint cancelled.');
    expect(jobSeverity(cancelled)).toBe('info');
  });

  it('sums up a saved checkpoint, with singular and plural words', () => {
    const done = job({ state: 'done', result: checkpointResult() });
    expect(jobMessage(done)).toBe(
      'Checkpoint saved: copied 2 variables (12.3 MB), a restore re-runs 1 execution; took 1.23 s.'
    );
    expect(jobSeverity(done)).toBe('success');
  });

  it('warns about groups that were recomputed because they did not serialize', () => {
    const result = checkpointResult({ replanned: [{ members: ['gen', 'it'], reason: 'cannot pickle generator' }] });
    const done = job({ state: 'done', result });
    expect(jobMessage(done)).toMatch(/ Not serializable, recomputed instead: gen, it\.$/);
    expect(jobSeverity(done)).toBe('warning');
  });

  it('sums up a verified restore', () => {
    const done = job({ kind: 'restore', state: 'done', result: restoreResult() });
    expect(jobMessage(done)).toBe('Session restored: loaded 1 variable, re-ran 2 executions; took 40 ms.');
    expect(jobSeverity(done)).toBe('success');
  });

  it('names the variables a restore recomputed instead of loading', () => {
    const result = restoreResult({ fallback: [{ members: ['model'], reason: 'payload unreadable' }] });
    const done = job({ kind: 'restore', state: 'done', result });
    expect(jobMessage(done)).toBe(
      'Session restored: loaded 1 variable, re-ran 2 executions; recomputed model instead of loading; took 40 ms.'
    );
    expect(jobSeverity(done)).toBe('warning');
  });

  it('names the variables that differ from the checkpoint after a restore', () => {
    const one = restoreResult({
      verification: verification({ ok: false, differ: ['df'] })
    });
    expect(jobMessage(job({ kind: 'restore', state: 'done', result: one }))).toBe(
      'Session restored, but df differs from the checkpoint.'
    );
    const two = restoreResult({
      verification: {
        ok: false,
        differ: ['df'],
        missing: ['x'],
        unexpected: [],
        notCompared: [],
        notComparedReasons: {}
      }
    });
    const done = job({ kind: 'restore', state: 'done', result: two });
    expect(jobMessage(done)).toBe('Session restored, but df, x differ from the checkpoint.');
    expect(jobSeverity(done)).toBe('warning');
  });
});
