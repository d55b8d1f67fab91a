import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { graphWith, kernelId, openNotebook, PANEL_ID } from './helpers';

const CHECKPOINT = '.jp-NotebookPanel-toolbar [data-command="elastic-notebook:checkpoint-session"]';

/** The number of checkpoints in the checkpoint folder, through the companion. */
async function checkpointCount(page: IJupyterLabPageFixture): Promise<number> {
  return (await (await page.request.get('/elastic-notebook/api/checkpoints')).json()).checkpoints.length;
}

/** Checkpoint the open notebook with its toolbar button and wait until the panel says it is done. */
async function checkpointCurrent(page: IJupyterLabPageFixture): Promise<void> {
  const before = await checkpointCount(page);
  await page.locator(CHECKPOINT).first().click();
  await expect.poll(() => checkpointCount(page), { timeout: 60000 }).toBe(before + 1);
  await expect(page.locator(`#${PANEL_ID} .jp-ElasticNotebook-job`)).toHaveAttribute('data-state', 'done');
}

/** Make the first cell `source`, run it and return its text output. */
async function printed(page: IJupyterLabPageFixture, source: string): Promise<string> {
  await page.notebook.setCell(0, 'code', source);
  await page.notebook.runCell(0);
  return (await page.notebook.getCellTextOutput(0))?.join('') ?? '';
}

// A restore restarts the kernel on the server: let the real server handle kernels.
test.use({ kernels: null } as any);

test.describe('checkpoints of other notebooks', () => {
  test('each row names its notebook, this one first; another notebook\'s restores only after a question naming both', async ({
    page,
    tmpPath
  }) => {
    await page.setViewportSize({ width: 1280, height: 1000 });
    const panel = page.locator(`#${PANEL_ID}`);
    // Galata opens notebooks through the file browser; the panel then comes back.
    const open = async (name: string, sources: string[]) => {
      await page.sidebar.openTab('filebrowser');
      await openNotebook(page, tmpPath, name, sources);
      await page.sidebar.openTab(PANEL_ID);
    };

    // demo.ipynb is checkpointed, then Untitled.ipynb (a different session) twice.
    await open('demo.ipynb', ["state = 'demo'"]);
    await page.notebook.run();
    await graphWith(page, await kernelId(page), 1);
    await checkpointCurrent(page);
    await page.notebook.close(true);
    await open('Untitled.ipynb', ["state = 'mine'"]);
    await page.notebook.run();
    const id = await kernelId(page);
    await graphWith(page, id, 1);
    await checkpointCurrent(page);
    await checkpointCurrent(page);

    // Untitled's own checkpoints only, each naming its notebook; the others (demo's, and any an
    // earlier test left in the shared folder) behind the toggle, after them.
    const rows = panel.locator('tr.jp-ElasticNotebook-checkpoint');
    await expect(rows).toHaveCount(2);
    await expect(rows.locator('.jp-ElasticNotebook-checkpointNotebook')).toHaveText(['Untitled.ipynb', 'Untitled.ipynb']);
    const total = await checkpointCount(page);
    const toggle = panel.getByLabel(`Show checkpoints of other notebooks (${total - 2})`);
    await expect(toggle).not.toBeChecked();
    await toggle.check();
    await expect(rows).toHaveCount(total);
    const names = await rows.locator('.jp-ElasticNotebook-checkpointNotebook').allTextContents();
    expect(names.slice(0, 2)).toEqual(['Untitled.ipynb', 'Untitled.ipynb']);
    expect(names.slice(2)).toContain('demo.ipynb');
    expect(names.slice(2)).not.toContain('Untitled.ipynb');
    await expect(panel.locator('.jp-ElasticNotebook-checkpointsDivider')).toHaveText('Other notebooks');
    const demoRow = rows.filter({ hasText: 'demo.ipynb' });
    await expect(demoRow).toHaveCount(1);
    await expect(demoRow).toHaveAttribute('data-notebook', `${tmpPath}/demo.ipynb`);
    const demoUri = (await demoRow.getAttribute('data-uri'))!;

    // Restore from the list: a question naming both notebooks; cancelled, nothing happens.
    const dialog = page.locator('.jp-Dialog');
    await demoRow.getByRole('button', { name: 'Restore' }).click();
    await expect(dialog.locator('.jp-Dialog-header')).toHaveText('Restore a checkpoint of another notebook?');
    await expect(dialog).toContainText('was made from demo.ipynb, not from Untitled.ipynb');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toHaveCount(0);
    expect(await printed(page, 'print(state)')).toBe('mine\n');

    // "Restore from…" the same bundle: the same question, answered yes this time.
    await panel.getByRole('button', { name: 'Restore from…' }).click();
    await dialog.locator('input').fill(demoUri);
    await dialog.getByRole('button', { name: 'Next' }).click();
    await expect(dialog.locator('.jp-Dialog-header')).toHaveText('Restore a checkpoint of another notebook?');
    await expect(dialog).toContainText('was made from demo.ipynb, not from Untitled.ipynb');
    await dialog.getByRole('button', { name: 'Restore into Untitled.ipynb' }).click();
    await expect(panel.locator('.jp-ElasticNotebook-job')).toContainText('Session restored', { timeout: 60000 });
    expect(await kernelId(page)).toBe(id);
    expect(await printed(page, 'print(state)')).toBe('demo\n');

    // Untitled's own checkpoint asks the usual question only.
    await rows.first().getByRole('button', { name: 'Restore' }).click();
    await expect(dialog.locator('.jp-Dialog-header')).toHaveText('Restore checkpoint?');
    await expect(dialog).not.toContainText('demo.ipynb');
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    // Leave the shared checkpoint folder as it was for the other tests (this test's bundles only).
    const mine = await rows.evaluateAll(
      (list, dir) =>
        list.filter(row => row.getAttribute('data-notebook')?.startsWith(`${dir}/`)).map(row => row.getAttribute('data-uri')),
      tmpPath
    );
    expect(mine).toHaveLength(3);
    for (const uri of mine) {
      const answer = await page.request.delete(`/elastic-notebook/api/checkpoints?uri=${encodeURIComponent(uri!)}`);
      expect(answer.ok()).toBe(true);
    }
  });
});
