import type { Target } from '@elastic-notebook/protocol';

/**
 * Why the shown session cannot be migrated to `target` now, in words for the Migrate button's
 * tooltip; null when it can. A migration needs a kernel, no other job of that kernel running, and
 * a reachable target: another Jupyter server, this machine (a new kernel on this server), or a
 * JupyterHub target whose Hub answered (its server is started by the migration when it is stopped).
 */
export function migrationBlocker(target: Target | null, hasKernel: boolean, busy: boolean): string | null {
  if (!hasKernel) {
    return 'Open a notebook with a running kernel to migrate its session.';
  }
  if (busy) {
    return 'A checkpoint, restore or migration of this kernel is running.';
  }
  if (!target) {
    return 'Pick a target above.';
  }
  // A Hub target whose server is stopped or starting is fine: the migration starts it and waits.
  const hubWillStart =
    target.kind === 'jupyterhub' && (target.hub?.state === 'stopped' || target.hub?.state === 'pending');
  if (!target.reachable && !hubWillStart) {
    return `${target.name} is not reachable: ${target.reason ?? 'unknown reason'}.`;
  }
  return null;
}
