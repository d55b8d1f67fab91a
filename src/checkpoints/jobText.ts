/** What a job says to the user: one line for notifications and the panel, and its severity. */
import { formatBytes, formatMs } from '@elastic-notebook/protocol';
import type { ICheckpointJobResult, IJob, IMigrateJobResult, IRestoreJobResult } from '@elastic-notebook/protocol';

/** How a job's message should look. */
export type JobSeverity = 'in-progress' | 'success' | 'warning' | 'error' | 'info';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "Checkpoint", "Restore" or "Migration". */
export function jobName(job: IJob): string {
  switch (job.kind) {
    case 'checkpoint':
      return 'Checkpoint';
    case 'restore':
      return 'Restore';
    case 'migrate':
      return 'Migration';
  }
}

/** A finished migration's result, or null for any other job. */
export function migrationResult(job: IJob): IMigrateJobResult | null {
  return job.kind === 'migrate' && job.state === 'done' ? (job.result as IMigrateJobResult) : null;
}

/**
 * A finished migration whose notebook opens elsewhere (the "Open on <target>" link); null for
 * one to this machine, whose notebook stays open here, switched to the new kernel.
 */
export function openableMigration(job: IJob): IMigrateJobResult | null {
  const migrated = migrationResult(job);
  return migrated && migrated.transport !== 'local' ? migrated : null;
}

/** How a migration's bytes went, in words. */
const MOVED: Record<IMigrateJobResult['transport'], string> = {
  direct: 'sent',
  'shared-store': 'through the shared store',
  local: 'checkpointed here'
};

/** The step a running job is at, with the transfer's bytes when one is under way. */
export function currentStep(job: IJob): string {
  const step = job.steps.length ? job.steps[job.steps.length - 1].message : 'starting';
  const bytes = job.progress
    ? ` (${formatBytes(job.progress.bytesDone)} of ${formatBytes(job.progress.bytesTotal)})`
    : '';
  return `${step}${bytes}${job.cancelRequested ? ', cancelling…' : ''}`;
}

/** Fraction of the current transfer done, when one is under way. */
export function progressFraction(job: IJob): number | undefined {
  const progress = job.progress;
  return progress && progress.bytesTotal > 0 ? Math.min(1, progress.bytesDone / progress.bytesTotal) : undefined;
}

/** The variables a finished restore or migration found different from the checkpoint. */
function restoreProblems(result: Pick<IRestoreJobResult, 'verification'>): string[] {
  return [...result.verification.differ, ...result.verification.missing];
}

/** The one-line message of a job in any state. */
export function jobMessage(job: IJob): string {
  const name = jobName(job);
  switch (job.state) {
    case 'running':
      return `${name}: ${currentStep(job)}`;
    case 'failed':
      return `${name} failed: ${job.error ?? 'unknown error'}`;
    case 'cancelled':
      return `${name} cancelled.`;
    case 'done':
      break;
  }
  if (job.kind === 'checkpoint') {
    const result = job.result as ICheckpointJobResult;
    const replanned = result.replanned.length
      ? ` Not serializable, recomputed instead: ${result.replanned.flatMap(r => r.members).join(', ')}.`
      : '';
    return (
      `Checkpoint saved: copied ${plural(result.plan.copy.length, 'variable')} (${formatBytes(result.bytes)}), ` +
      `a restore re-runs ${plural(result.plan.rerun.length, 'execution')}; took ${formatMs(result.timings.totalMs)}.${replanned}`
    );
  }
  const migrated = migrationResult(job);
  if (migrated) {
    const problems = restoreProblems(migrated);
    const outcome = problems.length
      ? `, but ${problems.join(', ')} differ${problems.length === 1 ? 's' : ''} from the source`
      : '';
    return (
      `Migrated to ${migrated.target}${outcome}: copied ${plural(migrated.plan.copy.length, 'variable')} ` +
      `(${formatBytes(migrated.bytes)} ${MOVED[migrated.transport] ?? 'sent'}), re-ran ` +
      `${plural(migrated.plan.rerun.length, 'execution')}; took ${formatMs(migrated.timings.totalMs)}.` +
      (migrated.sourceStopped ? ' The source kernel was stopped.' : '')
    );
  }
  const result = job.result as IRestoreJobResult;
  const problems = restoreProblems(result);
  if (problems.length) {
    return `Session restored, but ${problems.join(', ')} differ${problems.length === 1 ? 's' : ''} from the checkpoint.`;
  }
  const fallback = result.fallback.length
    ? `; recomputed ${result.fallback.flatMap(f => f.members).join(', ')} instead of loading`
    : '';
  return (
    `Session restored: loaded ${plural(result.loaded.length, 'variable')}, re-ran ${plural(result.rerun.length, 'execution')}` +
    `${fallback}; took ${formatMs(result.timings.totalMs)}.`
  );
}

/** The severity of a job's message. */
export function jobSeverity(job: IJob): JobSeverity {
  switch (job.state) {
    case 'running':
      return 'in-progress';
    case 'failed':
      return 'error';
    case 'cancelled':
      return 'info';
    case 'done':
      break;
  }
  if (job.kind === 'migrate') {
    return restoreProblems(job.result as IMigrateJobResult).length ? 'warning' : 'success';
  }
  if (job.kind === 'restore') {
    const result = job.result as IRestoreJobResult;
    return restoreProblems(result).length || result.fallback.length ? 'warning' : 'success';
  }
  return (job.result as ICheckpointJobResult).replanned.length ? 'warning' : 'success';
}
