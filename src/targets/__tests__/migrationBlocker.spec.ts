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

  it('refuses the kinds a migration cannot reach yet, and unreachable targets with their reason', () => {
    expect(migrationBlocker(target('hub', { kind: 'jupyterhub' }), true, false)).toMatch(/JupyterHub/);
    expect(migrationBlocker(unreachable('down', 'connection refused'), true, false)).toBe(
      'down is not reachable: connection refused.'
    );
  });
});
