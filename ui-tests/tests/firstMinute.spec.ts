import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { fetchGraph, openNotebook } from './helpers';

/** Five cells typed and run at once; each later one needs the first. */
const CELLS = ['import numpy as np', 'a = np.arange(3)', 'b = a * 2', 'c = int(b.sum())', 'print(c, np.__name__)'];

/** Collect the page's console errors and uncaught exceptions from now on. */
function collectErrors(page: IJupyterLabPageFixture): string[] {
  const errors: string[] = [];
  page.on('console', message => {
    if (message.type() === 'error') {
      errors.push(`console: ${message.text()}`);
    }
  });
  page.on('pageerror', error => errors.push(`pageerror: ${error.message}`));
  return errors;
}

/** Open a new Python notebook the way the launcher does, without waiting for its kernel. */
async function createNotebook(page: IJupyterLabPageFixture, cwd: string): Promise<void> {
  await page.evaluate(
    async dir => {
      await (window as any).jupyterapp.commands.execute('notebook:create-new', { cwd: dir, kernelName: 'python3' });
    },
    cwd
  );
}

/** The current notebook's kernel id, once it has one (no waiting on a cell). */
async function currentKernelId(page: IJupyterLabPageFixture): Promise<string> {
  const handle = await page.waitForFunction(
    () => (window as any).jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel?.id ?? null
  );
  return (await handle.jsonValue()) as string;
}

test.describe('the first minute in a new notebook', () => {
  test('five cells typed and run at once as the notebook opens all run, in order, and are recorded', async ({
    page,
    tmpPath
  }) => {
    const errors = collectErrors(page);
    await createNotebook(page, tmpPath);
    const editor = page.locator('.jp-NotebookPanel .jp-Cell .jp-InputArea-editor .cm-content').first();
    await editor.click();
    // No waiting for the kernel: each cell typed (pasted, to be sure to beat the kernel's start)
    // and Shift+Enter'ed into the next.
    for (const source of CELLS) {
      await page.keyboard.insertText(source);
      await page.keyboard.press('Shift+Enter');
    }
    const id = await currentKernelId(page);
    // Every cell got its execution count in order, none raised, and the last one printed.
    const cells = page.locator('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt');
    await expect(cells.nth(CELLS.length - 1)).toHaveText('[5]:', { timeout: 60000 });
    await expect(cells).toHaveText([...CELLS.map((_, i) => `[${i + 1}]:`), '[ ]:']);
    await expect(page.locator('.jp-NotebookPanel .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')).toHaveCount(0);
    expect(await page.notebook.getCellTextOutput(CELLS.length - 1)).toEqual(['6 numpy\n']);

    // The companion recorded all five, in the order they ran, with what each read and wrote.
    let graph: any = null;
    await expect
      .poll(
        async () => {
          graph = await fetchGraph(page, id);
          return graph?.executions.length ?? 0;
        },
        { timeout: 30000, message: 'waiting for 5 recorded executions' }
      )
      .toBe(CELLS.length);
    expect(graph.executions.map((e: any) => [e.cellIndex, e.executionCount, e.code.trim(), e.error])).toEqual(
      CELLS.map((source, i) => [i, i + 1, source, null])
    );
    expect(graph.executions[1].reads).toContain('np');
    expect(errors).toEqual([]);
  });

  test('opening notebooks, new and saved, logs no error in the browser console', async ({ page, tmpPath }) => {
    const errors = collectErrors(page);
    await createNotebook(page, tmpPath);
    await currentKernelId(page);
    await openNotebook(page, tmpPath, 'saved.ipynb', ['x = 1', 'y = x + 1', '# a comment']);
    await currentKernelId(page);
    await page.notebook.runCell(1);
    // Closing and opening again reuses the models JupyterLab keeps.
    await page.notebook.close(true);
    await page.notebook.openByPath(`${tmpPath}/saved.ipynb`);
    await page.notebook.activate('saved.ipynb');
    await currentKernelId(page);
    await page.notebook.addCell('code', 'z = 3');
    await page.notebook.deleteCells();
    expect(errors).toEqual([]);
  });
});
