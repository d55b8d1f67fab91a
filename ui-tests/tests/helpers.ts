import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';

/** The id of the Elastic Notebook sidebar panel (and of its tab). */
export const PANEL_ID = 'jp-elastic-notebook';

/** An nbformat 4.5 notebook of code cells with ids `cell-0`, `cell-1`... */
export function notebookJSON(sources: string[]): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    cells: sources.map((source, i) => ({
      cell_type: 'code',
      id: `cell-${i}`,
      metadata: {},
      source,
      outputs: [],
      execution_count: null
    }))
  });
}

/** Write a notebook to the server and open it. */
export async function openNotebook(
  page: IJupyterLabPageFixture,
  dir: string,
  name: string,
  sources: string[]
): Promise<void> {
  await page.contents.uploadContent(notebookJSON(sources), 'text', `${dir}/${name}`);
  await page.notebook.openByPath(`${dir}/${name}`);
  await page.notebook.activate(name);
}

/** The id of the current notebook's kernel, once it has one. */
export async function kernelId(page: IJupyterLabPageFixture): Promise<string> {
  await page.waitForFunction(
    () => !!(window as any).jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel
  );
  return page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.sessionContext.session.kernel.id);
}

/** The kernel's history graph through the server extension's authenticated route (null on 404). */
export async function fetchGraph(page: IJupyterLabPageFixture, id: string): Promise<any> {
  const response = await page.request.get(`/elastic-notebook/api/kernels/${id}/graph`);
  if (response.status() === 404) {
    return null;
  }
  expect(response.ok(), `graph route answered ${response.status()}: ${await response.text()}`).toBe(true);
  return response.json();
}

/**
 * Poll until the kernel's current run has `count` executions (records reach the companion from
 * a background thread) and return that graph. With `notRun`, a graph of that run does not count.
 */
export async function graphWith(
  page: IJupyterLabPageFixture,
  id: string,
  count: number,
  notRun?: string
): Promise<any> {
  let graph: any = null;
  await expect
    .poll(
      async () => {
        graph = await fetchGraph(page, id);
        if (!graph || graph.runId === notRun) {
          return 0;
        }
        return graph.executions.length;
      },
      { timeout: 30000, message: `waiting for ${count} recorded executions` }
    )
    .toBe(count);
  return graph;
}

/** Reads/writes of each execution, names sorted, for comparison. */
export function accesses(graph: any): { cell: number; reads: string[]; writes: string[] }[] {
  return graph.executions.map((e: any) => ({
    cell: e.cellIndex,
    reads: [...e.reads].sort(),
    writes: [...e.writes].sort()
  }));
}

/** The kernel's checkpoint plan through the server extension's authenticated route. */
export async function fetchPlan(page: IJupyterLabPageFixture, id: string, body: unknown): Promise<any> {
  const response = await page.request.post(`/elastic-notebook/api/kernels/${id}/plan`, { data: body });
  expect(response.ok(), `plan route answered ${response.status()}: ${await response.text()}`).toBe(true);
  return response.json();
}

/** Per linked group (members joined with ","), the plan's decision. */
export function decisions(plan: any): Record<string, string> {
  return Object.fromEntries(plan.groups.map((g: any) => [g.members.join(','), g.decision]));
}

/**
 * Open a notebook of `sources` beside the Elastic Notebook panel, run every cell and wait until
 * the companion recorded them all; resolves with the kernel's id.
 */
export async function runRecordedNotebook(
  page: IJupyterLabPageFixture,
  dir: string,
  name: string,
  sources: string[],
  viewportHeight = 900
): Promise<string> {
  await page.setViewportSize({ width: 1400, height: viewportHeight });
  await openNotebook(page, dir, name, sources);
  await page.sidebar.openTab(PANEL_ID);
  await page.sidebar.setWidth(520);
  await page.notebook.run();
  const id = await kernelId(page);
  await graphWith(page, id, sources.length);
  return id;
}
