import { expect, test } from '@jupyterlab/galata';
import { accesses, graphWith, kernelId, openNotebook } from './helpers';

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
/** Run All must stop at the raising cell: the cells before it and itself run. */
const RAN = 6;

test.describe('recording', () => {
  test('records every cell, leaves sources and outputs as they are, and Run All stops at an error', async ({
    page,
    tmpPath
  }) => {
    const name = 'recorded.ipynb';
    await openNotebook(page, tmpPath, name, CELLS.map(c => c.source));
    // Run All through the command (galata's run() would wait for the last cell, which must not run).
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('notebook:run-all-cells'));
    await page.notebook.waitForRun(RAN - 1);

    // What the user sees: the sources exactly, normal outputs, no trace of the hidden line.
    for (let i = 0; i < CELLS.length; i++) {
      expect(await page.notebook.getCellTextInput(i)).toBe(CELLS[i].source);
    }
    expect(await page.notebook.getCellTextOutput(3)).toEqual(['19\n']);
    expect((await page.notebook.getCellTextOutput(4))?.join('')).toContain('Wall time');
    const traceback = (await page.notebook.getCellTextOutput(5))?.join('') ?? '';
    expect(traceback).toContain('ValueError: stop here');
    // The traceback points at the user's own line 2, not at a shifted line.
    expect(traceback).toMatch(/----> 2 raise ValueError/);
    expect(await page.notebook.getCellTextOutput(6)).toBeNull();
    await expect(page.locator('.jp-NotebookPanel')).not.toContainText('%%intercept');

    // What is saved: the same sources, execution counts 1..6, the last cell never ran.
    await page.notebook.save();
    const saved = await page.request.get(`/api/contents/${tmpPath}/${name}?content=1`);
    const cells = (await saved.json()).content.cells;
    expect(cells.map((c: any) => c.source)).toEqual(CELLS.map(c => c.source));
    expect(cells.map((c: any) => c.execution_count)).toEqual([1, 2, 3, 4, 5, 6, null]);
    expect(JSON.stringify(cells)).not.toContain('intercept');

    // What is recorded: one execution per cell that ran, with exact reads and writes.
    const graph = await graphWith(page, await kernelId(page), RAN);
    expect(accesses(graph)).toEqual(
      CELLS.slice(0, RAN).map((c, i) => ({ cell: i, reads: [...c.reads].sort(), writes: [...c.writes].sort() }))
    );
    expect(graph.executions.map((e: any) => e.cellId)).toEqual(CELLS.slice(0, RAN).map((_, i) => `cell-${i}`));
    expect(graph.executions.map((e: any) => e.error)).toEqual([null, null, null, null, null, 'ValueError: stop here']);
    for (const execution of graph.executions) {
      expect(execution.code).not.toContain('%%intercept');
    }
    // `data` was written by executions 0, 1 (in place) and 5 (in place, then raised).
    const data = graph.variables.filter((v: any) => v.name === 'data');
    expect(data.map((v: any) => [v.version, v.producedBy, v.active])).toEqual([
      [0, 0, false],
      [1, 1, false],
      [2, 5, true]
    ]);
  });

  test('the kernel sees the user source in its own history, never the hidden line', async ({ page, tmpPath }) => {
    await openNotebook(page, tmpPath, 'history.ipynb', ['x = 41', 'print(In[-1])\nprint(_ih[-1])']);
    await page.notebook.run();
    const output = (await page.notebook.getCellTextOutput(1))?.join('') ?? '';
    expect(output).toContain('print(In[-1])');
    expect(output).not.toContain('intercept');
    const graph = await graphWith(page, await kernelId(page), 2);
    expect(accesses(graph)[0]).toEqual({ cell: 0, reads: [], writes: ['x'] });
  });
});

test.describe('after a kernel restart', () => {
  // Galata's default kernel fixture answers restarts itself; let the real server restart.
  test.use({ kernels: null } as any);

  test('recording continues in the new kernel process', async ({ page, tmpPath }) => {
    await openNotebook(page, tmpPath, 'restarted.ipynb', ['a = 1', 'b = a + 1']);
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
    expect(await page.notebook.getCellTextOutput(1)).toBeNull();

    // A new kernel process is a new run with its own history.
    const after = await graphWith(page, id, 2, before.runId);
    expect(after.runId).not.toBe(before.runId);
    expect(accesses(after)).toEqual([
      { cell: 0, reads: [], writes: ['a'] },
      { cell: 1, reads: ['a'], writes: ['b'] }
    ]);
    expect(after.executions.map((e: any) => e.executionCount)).toEqual([1, 2]);
  });
});
