/**
 * The Jupyter server's Python, asked through the server extension's internal `python-info` route
 * (elastic_notebook/serverext/internal.py): its version, executable, and the installed version of
 * each module asked about. The server's Python is the one its default `python3` kernel runs
 * (ipykernel's built-in kernel spec), and asking it in process takes milliseconds where starting
 * a kernel's interpreter would take a second.
 */
import type { IPythonInfo, PythonInfoSource } from '../targets/machineInfo';
import type { InternalClient } from './internalClient';

/** How long the Python may take to answer (listing every distribution is the slow part). */
const PYTHON_INFO_TIMEOUT_MS = 10_000;

/** A {@link PythonInfoSource} over the internal routes of `client`'s Jupyter server. */
export function pythonInfoSource(client: InternalClient): PythonInfoSource {
  return (modules, folder) =>
    client.post<IPythonInfo>(
      'python-info',
      folder === undefined ? { modules } : { modules, folder },
      AbortSignal.timeout(PYTHON_INFO_TIMEOUT_MS)
    );
}
