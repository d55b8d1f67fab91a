import { expect, test } from '@jupyterlab/galata';
import { fetchGraph, graphWith, kernelId, openNotebook, PANEL_ID } from './helpers';

/** The graph route as the app calls it (Jupyter adds a cache-busting query string). */
const GRAPH_ROUTE = /\/elastic-notebook\/api\/kernels\/[^/?]+\/graph(\?.*)?$/;

/** The bootstrap route as the app calls it. */
const BOOTSTRAP_ROUTE = /\/elastic-notebook\/api\/kernels\/[^/?]+\/bootstrap(\?.*)?$/;

const names = (list: string[]) => (list.length ? list.join(', ') : '–');

test.describe('the Elastic Notebook panel', () => {
  test('the extension loads, replaces the cell executor and adds the sidebar tab', async ({ page }) => {
    const plugins = await page.evaluate(() => {
      const app = (window as any).jupyterapp;
      return {
        ours: app.isPluginActivated('elastic-notebook:cell-executor'),
        panel: app.isPluginActivated('elastic-notebook:panel'),
        builtin: app.isPluginActivated('@jupyterlab/notebook-extension:cell-executor')
      };
    });
    expect(plugins).toEqual({ ours: true, panel: true, builtin: false });
    const tab = page.sidebar.getTabLocator(PANEL_ID);
    await expect(tab).toBeVisible();
    await expect(tab).toHaveAttribute('title', 'Elastic Notebook');
  });

  test('says when nothing is recorded yet', async ({ page, tmpPath }) => {
    await openNotebook(page, tmpPath, 'empty.ipynb', ['x = 1']);
    await kernelId(page);
    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);
    await expect(panel.locator('.jp-ElasticNotebook-status')).toHaveText('Recording every cell you run.');
    await expect(panel.locator('.jp-ElasticNotebook-empty').first()).toHaveText(
      'No cells recorded yet in this kernel.'
    );
    await expect(panel.locator('tr.jp-ElasticNotebook-execution')).toHaveCount(0);
  });

  test('lists the executions and variables the server recorded', async ({ page, tmpPath }) => {
    const sources = [
      'import math\nx = [1, 2]',
      'y = x',
      'y.append(3)',
      'def norm():\n    return math.sqrt(sum(v * v for v in y))',
      'n = norm()\nprint(round(n, 3))',
      'z = len(y)\ndel x',
      'raise RuntimeError("boom")'
    ];
    await page.setViewportSize({ width: 1280, height: 800 });
    await openNotebook(page, tmpPath, 'listed.ipynb', sources);
    await page.sidebar.openTab(PANEL_ID);
    await page.sidebar.setWidth(440);
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('notebook:run-all-cells'));
    await page.notebook.waitForRun(sources.length - 1);
    const graph = await graphWith(page, await kernelId(page), sources.length);

    // The panel refreshes by itself after the runs: one row per execution, as the server has it.
    const panel = page.locator(`#${PANEL_ID}`);
    const rows = panel.locator('tr.jp-ElasticNotebook-execution');
    await expect(rows).toHaveCount(sources.length);
    await expect(panel.locator('.jp-ElasticNotebook-status')).toHaveText('Recording every cell you run.');
    for (const [i, execution] of graph.executions.entries()) {
      await expect(rows.nth(i).locator('td')).toHaveText([
        String(execution.index),
        String(execution.cellIndex),
        execution.durationMs.toFixed(1),
        names(execution.reads),
        names(execution.writes),
        names(execution.deletes)
      ]);
    }
    // Facts independent of the server's formatting: what the cells did.
    await expect(rows.nth(1).locator('td').nth(3)).toHaveText('x');
    await expect(rows.nth(5).locator('td').nth(5)).toHaveText('x');
    await expect(panel.locator('.jp-ElasticNotebook-error')).toHaveText(['RuntimeError: boom']);

    // Every snapshot, the active ones marked, and `x` (deleted) no longer active.
    const variables = panel.locator('tr.jp-ElasticNotebook-variable');
    await expect(variables).toHaveCount(graph.variables.length);
    await expect(panel.locator('tr.jp-ElasticNotebook-variable.jp-mod-active')).toHaveCount(
      graph.variables.filter((v: any) => v.active).length
    );
    await expect(panel.locator('tr.jp-ElasticNotebook-variable.jp-mod-active td:first-child')).not.toContainText([
      'x'
    ]);
    await expect(panel.locator('tr.jp-ElasticNotebook-variable.jp-mod-active td:first-child')).toContainText([
      'math',
      'n',
      'norm',
      'y',
      'z'
    ]);

  });

  test('shows a server error in the panel and recovers from it', async ({ page, tmpPath }) => {
    await openNotebook(page, tmpPath, 'failing.ipynb', ['q = 1']);
    await page.notebook.runCell(0);
    await graphWith(page, await kernelId(page), 1);
    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);
    await expect(panel.locator('tr.jp-ElasticNotebook-execution')).toHaveCount(1);

    // The companion failing is simulated at the network boundary only, then lifted.
    let failing = true;
    await page.route(GRAPH_ROUTE, route =>
      failing
        ? route.fulfill({
            status: 500,
            contentType: 'application/json',
            body: JSON.stringify({ error: 'store is broken' })
          })
        : route.fallback()
    );
    const reload = panel.getByTitle('Reload the history from the server');
    await reload.click();
    await expect(panel.locator('.jp-ElasticNotebook-serverError')).toHaveText(
      'could not load the history: store is broken'
    );
    // The last good history stays on screen under the error.
    await expect(panel.locator('tr.jp-ElasticNotebook-execution')).toHaveCount(1);

    failing = false;
    await reload.click();
    await expect(panel.locator('.jp-ElasticNotebook-serverError')).toHaveCount(0);
    await expect(panel.locator('tr.jp-ElasticNotebook-execution')).toHaveCount(1);
  });

  test('when the agent cannot be loaded, cells run as usual and the panel says why', async ({ page, tmpPath }) => {
    // The server extension failing is simulated at the network boundary only.
    await page.route(BOOTSTRAP_ROUTE, route =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ error: 'the companion server is not running' })
      })
    );
    await openNotebook(page, tmpPath, 'unrecorded.ipynb', ['v = 6 * 7\nprint(v)']);
    await page.notebook.runCell(0);
    expect(await page.notebook.getCellTextOutput(0)).toEqual(['42\n']);
    expect(await page.notebook.getCellTextInput(0)).toBe('v = 6 * 7\nprint(v)');

    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);
    await expect(panel.locator('.jp-ElasticNotebook-status')).toHaveText(
      'Not recording: loading the agent failed: the companion server is not running. Cells run as usual.'
    );
    // Nothing reached the history store for this kernel.
    expect(await fetchGraph(page, await kernelId(page))).toBeNull();
  });
});
