import type { Target } from '@elastic-notebook/protocol';

/**
 * Why the shown session cannot be migrated to `target` now, in words for the Migrate button's
 * tooltip; null when it can. A migration needs a kernel, no other job of that kernel running, and
 * a reachable target: another Jupyter server, or this machine (a new kernel on this server;
 * JupyterHub targets are listed only, so far).
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
  if (target.kind === 'jupyterhub') {
    return 'Migrating to a JupyterHub target is not supported yet: pick a Jupyter server.';
  }
  if (!target.reachable) {
    return `${target.name} is not reachable: ${target.reason ?? 'unknown reason'}.`;
  }
  return null;
}
