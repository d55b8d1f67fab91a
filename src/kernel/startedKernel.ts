import { ISessionContext } from '@jupyterlab/apputils';
import { Kernel } from '@jupyterlab/services';

/**
 * How often the wait looks again without a signal: the context resolves `ready` and clears a
 * pending kernel without a signal of its own.
 */
const RECHECK_MS = 250;

/**
 * The session's kernel, waiting while the notebook is still starting (or changing) it; null when
 * the session ends up with no kernel or goes away.
 *
 * A notebook shows its cells before its session exists (the document context starts the session
 * without waiting for it), so a cell run in the first second after opening finds no kernel yet.
 * `CodeCell.execute` clears such a run without running it; the executor waits here instead.
 */
export async function startedKernel(sessionContext: ISessionContext): Promise<Kernel.IKernelConnection | null> {
  for (;;) {
    if (sessionContext.isDisposed || sessionContext.isTerminating) {
      return null;
    }
    const kernel = sessionContext.session?.kernel;
    if (kernel) {
      return kernel;
    }
    if (sessionContext.isReady && sessionContext.hasNoKernel) {
      // Started up with no kernel (or the user picked none): no kernel is coming.
      return null;
    }
    await nextChange(sessionContext);
  }
}

/** Resolves at the context's next session or kernel change, or after {@link RECHECK_MS}. */
function nextChange(sessionContext: ISessionContext): Promise<void> {
  return new Promise<void>(resolve => {
    const done = () => {
      clearTimeout(timer);
      sessionContext.sessionChanged.disconnect(done);
      sessionContext.kernelChanged.disconnect(done);
      sessionContext.disposed.disconnect(done);
      resolve();
    };
    const timer = setTimeout(done, RECHECK_MS);
    sessionContext.sessionChanged.connect(done);
    sessionContext.kernelChanged.connect(done);
    sessionContext.disposed.connect(done);
  });
}
