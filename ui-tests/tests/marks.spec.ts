import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { decisions, fetchPlan, openNotebook, PANEL_ID, runRecordedNotebook } from './helpers';

/**
 * Two cells whose plan is clear-cut under the default cost model (copying costs about 22.5 ms
 * per MB plus 2 ms per variable; re-running costs the recorded time).
 */
const CELLS = [
  // 50 MB made in milliseconds: re-running is far cheaper than copying (about 1.1 s).
  'a = bytes(50_000_000)',
  // A tiny list that took 300 ms: copying (about 2 ms) is far cheaper than re-running.
  "__import__('time').sleep(0.3)\nb = [1, 2, 3]"
];

const MENU_ITEM = 'Never re-run this cell';
const COMMAND = 'elastic-notebook:toggle-never-rerun';
const TOGGLED = /\blm-mod-toggled\b/;

/** The `elastic_notebook` metadata of a cell of the current notebook, in the notebook model. */
const cellMarks = (page: IJupyterLabPageFixture, index: number): Promise<unknown> =>
  page.evaluate(
    i => (window as any).jupyterapp.shell.currentWidget.context.model.cells.get(i).getMetadata('elastic_notebook'),
    index
  );

/** The `elastic_notebook` metadata of the current notebook, in the notebook model. */
const notebookMarks = (page: IJupyterLabPageFixture): Promise<unknown> =>
  page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.context.model.getMetadata('elastic_notebook'));

/** Open the context menu of a cell and return the "Never re-run this cell" item. */
async function openCellMenu(page: IJupyterLabPageFixture, index: number) {
  const cell = await page.notebook.getCellLocator(index);
  await cell!.locator('.jp-InputPrompt').click({ button: 'right' });
  const item = page.locator(`.lm-Menu .lm-Menu-item[data-command="${COMMAND}"]`);
  await expect(item).toHaveText(new RegExp(MENU_ITEM));
  return item;
}

test.describe('marks and the plan', () => {
  test('marking a cell and variables is saved in the notebook and changes the plan, up to an infeasible one', async ({
    page,
    tmpPath
  }) => {
    const name = 'marks.ipynb';
    const id = await runRecordedNotebook(page, tmpPath, name, CELLS);

    const panel = page.locator(`#${PANEL_ID}`);
    const group = (members: string) => panel.locator(`tr.jp-ElasticNotebook-planGroup[data-members="${members}"]`);
    const decision = (members: string) => group(members).locator('.jp-ElasticNotebook-decision');

    // Without marks: the planner's own choice, refreshed by itself after the runs.
    await expect(decision('a')).toHaveText('recompute');
    await expect(decision('b')).toHaveText('copy');
    await expect(panel.locator('.jp-ElasticNotebook-planTotal.jp-mod-copyAll td')).toHaveCount(3);
    await expect(panel.locator('.jp-ElasticNotebook-planTotal.jp-mod-recomputeAll td')).toHaveCount(3);

    // "Never re-run" from the cell's context menu: unchecked at first, then stored in the cell.
    const cell0 = (await page.notebook.getCellLocator(0))!;
    const item = await openCellMenu(page, 0);
    await expect(item).not.toHaveClass(TOGGLED);
    await item.click();
    expect(await cellMarks(page, 0)).toEqual({ neverRerun: true });
    expect(await cellMarks(page, 1)).toBeUndefined();
    await expect(cell0).toHaveClass(/jp-ElasticNotebook-neverRerun/);
    await expect((await page.notebook.getCellLocator(1))!).not.toHaveClass(/jp-ElasticNotebook-neverRerun/);
    // What the marked cell made can only be copied now.
    await expect(decision('a')).toHaveText('copy');
    await expect(panel.locator('tr.jp-ElasticNotebook-planReasonRow[data-members="a"]')).toHaveText(
      'cannot be recomputed: execution 0 (cell 0) is marked "never re-run"'
    );

    // "Never copy" on `b` from the Variables view: stored in the notebook, `b` is recomputed.
    await panel.getByLabel('Checkpoint mark of b').selectOption('never-copy');
    expect(await notebookMarks(page)).toEqual({ neverCopy: ['b'] });
    await expect(decision('b')).toHaveText('recompute');
    await expect(panel.getByLabel('Checkpoint mark of b')).toHaveValue('never-copy');
    await expect(panel.locator('.jp-ElasticNotebook-planTotal.jp-mod-copyAll')).toContainText(
      'impossible: \'b\' cannot be copied (marked "never copy")'
    );
    // The panel shows what the server plans for these marks.
    const marks = { neverRerun: { cellIds: ['cell-0'] }, neverCopy: ['b'] };
    expect(decisions(await fetchPlan(page, id, { marks }))).toEqual({ a: 'copy', b: 'recompute' });

    // The objective selector asks the server for a plan under that objective.
    const asked = page.waitForRequest(
      request => request.url().includes('/plan') && (request.postData() ?? '').includes('"fast-restore"')
    );
    await panel.getByLabel('Plan objective').selectOption('fast-restore');
    await asked;

    // The marks are saved with the notebook, where the CLI reads them.
    await page.notebook.save();
    const saved = (await (await page.request.get(`/api/contents/${tmpPath}/${name}?content=1`)).json()).content;
    expect(saved.cells[0].metadata.elastic_notebook).toEqual({ neverRerun: true });
    expect(saved.cells[1].metadata.elastic_notebook).toBeUndefined();
    expect(saved.metadata.elastic_notebook).toEqual({ neverCopy: ['b'] });

    // "Never copy" on `a` too: `a` can be neither copied nor recomputed, so no plan exists.
    await panel.getByLabel('Checkpoint mark of a').selectOption('never-copy');
    expect(await notebookMarks(page)).toEqual({ neverCopy: ['a', 'b'] });
    const report = panel.locator('.jp-ElasticNotebook-infeasible');
    await expect(report).toContainText("No checkpoint plan can restore this session: 'a' can be neither copied");
    const server = await fetchPlan(page, id, {
      objective: 'fast-restore',
      marks: { neverRerun: { cellIds: ['cell-0'] }, neverCopy: ['a', 'b'] }
    });
    expect(server.feasible).toBe(false);
    await expect(report.locator('.jp-ElasticNotebook-suggestions li')).toHaveText(server.infeasibility.suggestions);
    await expect(report.locator('.jp-ElasticNotebook-suggestions li')).toContainText([
      'remove the "never copy" mark from \'a\'',
      'unmark cell 0 ("never re-run") if re-running it is safe'
    ]);
    await expect(panel.locator('tr.jp-ElasticNotebook-planGroup')).toHaveCount(0);

    // Unmarking the cell (the menu item is checked now) makes a plan possible again.
    const checked = await openCellMenu(page, 0);
    await expect(checked).toHaveClass(TOGGLED);
    await expect(checked).toHaveAttribute('aria-checked', 'true');
    await checked.click();
    expect(await cellMarks(page, 0)).toBeUndefined();
    await expect(cell0).not.toHaveClass(/jp-ElasticNotebook-neverRerun/);
    await expect(report).toHaveCount(0);
    await expect(decision('a')).toHaveText('recompute');
    await expect(decision('b')).toHaveText('recompute');

    // Back to "auto": the variable lists leave the notebook metadata.
    await panel.getByLabel('Checkpoint mark of a').selectOption('auto');
    await panel.getByLabel('Checkpoint mark of b').selectOption('auto');
    expect(await notebookMarks(page)).toBeUndefined();
    await expect(decision('b')).toHaveText('copy');
  });

  test('the command is in the palette and marks the active cell', async ({ page, tmpPath }) => {
    await openNotebook(page, tmpPath, 'palette.ipynb', ['x = 1', 'y = 2']);
    await page.notebook.selectCells(1);
    await page.keyboard.press('Control+Shift+c');
    await page.locator('#modal-command-palette input').fill(MENU_ITEM);
    const entry = page.locator('#modal-command-palette .lm-CommandPalette-item', { hasText: MENU_ITEM });
    await expect(entry).toHaveCount(1);
    await entry.click();
    expect(await cellMarks(page, 1)).toEqual({ neverRerun: true });
    expect(await cellMarks(page, 0)).toBeUndefined();
    await expect((await page.notebook.getCellLocator(1))!).toHaveClass(/jp-ElasticNotebook-neverRerun/);
  });
});
