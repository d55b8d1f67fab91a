import { migrationBlocker } from '../migrationBlocker';
import { target, thisMachine, unreachable } from './targetFixtures';

describe('migrationBlocker', () => {
  it('allows a reachable Jupyter server target for a kernel with no job running', () => {
    expect(migrationBlocker(target('gpu'), true, false)).toBeNull();
  });

  it('allows this machine: the session moves into a new kernel of the same server', () => {
    expect(migrationBlocker(thisMachine(), true, false)).toBeNull();
  });

  it('says what is missing, the kernel and a running job first', () => {
    expect(migrationBlocker(target('gpu'), false, false)).toBe(
      'Open a notebook with a running kernel to migrate its session.'
    );
    expect(migrationBlocker(target('gpu'), true, true)).toBe(
      'A checkpoint, restore or migration of this kernel is running.'
    );
    expect(migrationBlocker(null, true, false)).toBe('Pick a target above.');
  });

  it('allows a JupyterHub target whose server runs, is stopped or starting (the migration starts it)', () => {
    const hub = (state: 'running' | 'pending' | 'stopped' | null, reachable: boolean, reason: string | null) =>
      target('hub', { kind: 'jupyterhub', reachable, reason, hub: { user: 'alice', server: 'gpu', state } });
    expect(migrationBlocker(hub('running', true, null), true, false)).toBeNull();
    expect(migrationBlocker(hub('stopped', false, 'not running (started on migration)'), true, false)).toBeNull();
    expect(migrationBlocker(hub('pending', false, 'starting on the Hub'), true, false)).toBeNull();
    expect(migrationBlocker(hub(null, false, '403: Hub API token refused'), true, false)).toBe(
      'hub is not reachable: 403: Hub API token refused.'
    );
  });

  it('refuses unreachable targets with their reason', () => {
    expect(migrationBlocker(unreachable('down', 'connection refused'), true, false)).toBe(
      'down is not reachable: connection refused.'
    );
  });
});
