/**
 * The companion's kernel and checkpoint settings from the environment the Jupyter server extension
 * gives it (elastic_notebook/serverext/companion.py): where the Jupyter server's internal routes
 * are, its root folder, and the configured checkpoint root.
 */
import type { ICompanionOptions } from './createCompanion';
import { InternalClient } from './internalClient';
import { jupyterKernelAccess } from './kernelAccess';
import { pythonInfoSource } from './pythonInfo';

/** The settings `env` gives (`ELASTIC_NOTEBOOK_JUPYTER_URL`, `..._JUPYTER_ROOT`, `..._CHECKPOINT_ROOT`). */
export type EnvironmentOptions = Pick<
  ICompanionOptions,
  | 'kernels'
  | 'kernelsUnavailable'
  | 'checkpointRoot'
  | 'baseDir'
  | 'pythonInfo'
  | 'jupyterUrl'
  | 'chunkBytes'
  | 'cutChunk'
>;

/** A positive whole number from the environment, or undefined. */
function positive(value: string | undefined): number | undefined {
  const n = Number(value);
  return value && Number.isInteger(n) && n > 0 ? n : undefined;
}

/** Kernel access and checkpoint locations from `env`; `secret` authenticates to the internal routes. */
export function optionsFromEnvironment(env: NodeJS.ProcessEnv, secret: string): EnvironmentOptions {
  const url = env.ELASTIC_NOTEBOOK_JUPYTER_URL?.trim();
  const client = url ? new InternalClient(url, secret) : null;
  return {
    kernels: client ? jupyterKernelAccess(client) : null,
    pythonInfo: client ? pythonInfoSource(client) : null,
    jupyterUrl: url || undefined,
    kernelsUnavailable:
      'the companion does not know how to reach the Jupyter server (ELASTIC_NOTEBOOK_JUPYTER_URL is not set: ' +
      'a Jupyter server listening on a Unix socket only is not supported for checkpoints from JupyterLab)',
    checkpointRoot: env.ELASTIC_NOTEBOOK_CHECKPOINT_ROOT ?? '',
    baseDir: env.ELASTIC_NOTEBOOK_JUPYTER_ROOT || undefined,
    // Smaller chunks make a migration's resumption testable with small bundles.
    chunkBytes: positive(env.ELASTIC_NOTEBOOK_CHUNK_BYTES),
    cutChunk: positive(env.ELASTIC_NOTEBOOK_TEST_CUT_CHUNK)
  };
}
