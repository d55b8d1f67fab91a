import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import path from 'path';

/** The cells of the test notebook, and what recording each must give. */
const CELLS = [
  { source: 'data = [3, 1, 2]', reads: [], writes: ['data'] },
  { source: 'data.append(len(data))', reads: ['data'], writes: ['data'] },
  { source: 'def total():\n    return sum(data) + offset\noffset = 10', reads: [], writes: ['offset', 'total'] },
  { source: 'result = total()\nprint(result)', reads: ['data', 'offset', 'total'], writes: ['result'] },
  { source: '%time doubled = [2 * v for v in data]', reads: ['data'], writes: ['doubled'] },
  { source: 'data.sort()\nraise ValueError("stop here")', reads: ['data'], writes: ['data'] },
  { source: 'after = 1', reads: [], writes: ['after'] }
];

function notebookJSON(sources: string[]): string {
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

async function kernelId(page: IJupyterLabPageFixture): Promise<string> {
  return page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.sessionContext.session.kernel.id);
}

/** Poll the server extension until the kernel's current run has `count` executions. */
async function graphWith(page: IJupyterLabPageFixture, id: string, count: number, runId?: string): Promise<any> {
  let graph: any = null;
  await expect
    .poll(
      async () => {
        const response = await page.request.get(`/elastic-notebook/api/kernels/${id}/graph`);
        graph = response.ok() ? await response.json() : null;
        if (graph && runId && graph.runId === runId) {
          return -1;
        }
        return graph ? graph.executions.length : 0;
      },
      { timeout: 30000 }
    )
    .toBe(count);
  return graph;
}

const byName = (list: string[]) => [...list].sort();

test.describe('Elastic Notebook', () => {
  test('the sidebar tab is there', async ({ page }) => {
    const tab = page.sidebar.getTabLocator('jp-elastic-notebook');
    await expect(tab).toBeVisible();
    await expect(tab).toHaveAttribute('title', 'Elastic Notebook');
  });

  test('records every cell, leaves sources and outputs as they are, and Run All stops at an error', async ({
    page,
    tmpPath
  }) => {
    const name = 'recorded.ipynb';
    await page.contents.uploadContent(notebookJSON(CELLS.map(c => c.source)), 'text', `${tmpPath}/${name}`);
    await page.notebook.openByPath(`${tmpPath}/${name}`);
    await page.notebook.activate(name);
    // Run All (galata's run() waits for the last cell, which must not run here).
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('notebook:run-all-cells'));
    await page.notebook.waitForRun(5);

    // What the user sees: the sources exactly, normal outputs, no trace of the hidden line.
    for (let i = 0; i < CELLS.length; i++) {
      expect(await page.notebook.getCellTextInput(i)).toBe(CELLS[i].source);
    }
    expect(await page.notebook.getCellTextOutput(3)).toEqual(['19\n']);
    expect((await page.notebook.getCellTextOutput(4))?.join('')).toContain('Wall time');
    expect((await page.notebook.getCellTextOutput(5))?.join('')).toContain('ValueError: stop here');
    expect(await page.notebook.getCellTextOutput(6)).toBeNull(); // Run All stopped at the error
    await expect(page.locator('.jp-NotebookPanel')).not.toContainText('%%intercept');

    // What is saved: the same sources.
    await page.notebook.save();
    const saved = await page.request.get(`/api/contents/${tmpPath}/${name}?content=1`);
    const cells = (await saved.json()).content.cells;
    expect(cells.map((c: any) => c.source)).toEqual(CELLS.map(c => c.source));

    // What is recorded: one execution per cell that ran, with exact reads and writes.
    const graph = await graphWith(page, await kernelId(page), 6);
    expect(
      graph.executions.map((e: any) => ({ cell: e.cellIndex, reads: byName(e.reads), writes: byName(e.writes) }))
    ).toEqual(CELLS.slice(0, 6).map((c, i) => ({ cell: i, reads: byName(c.reads), writes: byName(c.writes) })));
    expect(graph.executions[5].error).toBe('ValueError: stop here');
    expect(graph.executions.map((e: any) => e.cellId)).toEqual(CELLS.slice(0, 6).map((_, i) => `cell-${i}`));

    // The panel shows the same history.
    await page.sidebar.openTab('jp-elastic-notebook');
    const panel = page.locator('#jp-elastic-notebook');
    await expect(panel.locator('.jp-ElasticNotebook-status')).toHaveText('Recording every cell you run.');
    await expect(panel.locator('tr.jp-ElasticNotebook-execution')).toHaveCount(6);
    await expect(panel.locator('.jp-ElasticNotebook-error')).toHaveText('ValueError: stop here');
    await expect(panel.locator('tr.jp-ElasticNotebook-variable')).toHaveCount(5);
    await page.screenshot({ path: path.resolve(__dirname, '..', '..', 'docs', 'screenshot.png') });
  });
});

test.describe('after a kernel restart', () => {
  // Galata's default kernel fixture answers restarts itself; use the real server.
  test.use({ kernels: null } as any);

  test('recording continues in the new kernel process', async ({ page, tmpPath }) => {
    const name = 'restarted.ipynb';
    await page.contents.uploadContent(notebookJSON(['a = 1', 'b = a + 1']), 'text', `${tmpPath}/${name}`);
    await page.notebook.openByPath(`${tmpPath}/${name}`);
    await page.notebook.activate(name);
    await page.notebook.runCell(0);
    const id = await kernelId(page);
    const before = await graphWith(page, id, 1);

    await page.evaluate(async () => {
      const context = (window as any).jupyterapp.shell.currentWidget.sessionContext;
      await context.session.kernel.restart();
    });
    await page.notebook.runCell(0);
    await page.notebook.runCell(1);
    expect(await kernelId(page)).toBe(id); // a restart keeps the kernel id

    let graph: any = null;
    await expect
      .poll(
        async () => {
          const response = await page.request.get(`/elastic-notebook/api/kernels/${id}/graph`);
          graph = await response.json();
          return graph.runId !== before.runId ? graph.executions.length : 0;
        },
        { timeout: 30000 }
      )
      .toBe(2);
    expect(graph.executions.map((e: any) => [e.reads, e.writes])).toEqual([
      [[], ['a']],
      [['a'], ['b']]
    ]);
  });
});

