/**
 * The companion's checkpoint settings from the environment the Jupyter server extension gives it
 * (elastic_notebook/serverext/companion.py): where the Jupyter server's internal routes are, its
 * root folder, and the configured checkpoint root.
 */
import type { ICheckpointRouteOptions } from '../routes/checkpoints';
import { InternalClient } from './internalClient';
import { jupyterKernelAccess } from './kernelAccess';

/** Checkpoint route options from `env` (`ELASTIC_NOTEBOOK_JUPYTER_URL`, `..._JUPYTER_ROOT`, `..._CHECKPOINT_ROOT`). */
export function checkpointOptionsFromEnv(
  env: NodeJS.ProcessEnv,
  secret: string
): Omit<ICheckpointRouteOptions, 'dataDir' | 'warn'> {
  const url = env.ELASTIC_NOTEBOOK_JUPYTER_URL?.trim();
  return {
    kernels: url ? jupyterKernelAccess(new InternalClient(url, secret)) : null,
    kernelsUnavailable:
      'the companion does not know how to reach the Jupyter server (ELASTIC_NOTEBOOK_JUPYTER_URL is not set: ' +
      'a Jupyter server listening on a Unix socket only is not supported for checkpoints from JupyterLab)',
    checkpointRoot: env.ELASTIC_NOTEBOOK_CHECKPOINT_ROOT ?? '',
    baseDir: env.ELASTIC_NOTEBOOK_JUPYTER_ROOT || undefined
  };
}
