import path from 'path';
import { CliError } from './cliError';
import { IJupyterServer, callServer, errorText } from './jupyterServer';
import { INotebookFile } from './notebook';

/** `a/b c.ipynb` -> `a/b%20c.ipynb`: a contents-API path with each segment escaped. */
function contentsUrl(relative: string, withContent: boolean): string {
  const escaped = relative.split('/').map(encodeURIComponent).join('/');
  return `api/contents/${escaped}?type=notebook&content=${withContent ? 1 : 0}`;
}

/** The code-cell sources of a notebook model from the contents API. */
function codeSources(model: unknown): string[] | null {
  const cells = (model as { content?: { cells?: unknown } })?.content?.cells;
  if (!Array.isArray(cells)) {
    return null;
  }
  return cells
    .filter(cell => cell?.cell_type === 'code')
    .map(cell => (Array.isArray(cell.source) ? cell.source.join('') : String(cell.source ?? '')));
}

/**
 * Find the notebook's path relative to the root folder of a server given with `--server`, so that
 * its session (and so the kernel's working directory) is the notebook's folder, as in JupyterLab.
 *
 * The server does not say where its root is; so try the file's trailing path segments, longest
 * first, and accept the first the server knows whose code cells are the ones read from disk.
 */
export async function locateOnServer(server: IJupyterServer, notebook: INotebookFile): Promise<string> {
  const segments = notebook.path.split(path.sep).filter(Boolean);
  const wanted = JSON.stringify(notebook.cells.map(cell => cell.source));
  for (let start = 0; start < segments.length; start++) {
    const relative = segments.slice(start).join('/');
    const probe = await callServer(server, contentsUrl(relative, false));
    if (probe.status === 404 || probe.status === 400) {
      await probe.arrayBuffer();
      continue;
    }
    if (!probe.ok) {
      throw new CliError(`the Jupyter server could not look up ${relative}: ${await errorText(probe)}`);
    }
    await probe.arrayBuffer();
    const full = await callServer(server, contentsUrl(relative, true));
    if (full.ok && JSON.stringify(codeSources(await full.json().catch(() => null))) === wanted) {
      return relative;
    }
  }
  throw new CliError(
    `the Jupyter server at ${server.baseUrl} does not see ${notebook.path}: ` +
      "the notebook must be inside the server's root folder"
  );
}
