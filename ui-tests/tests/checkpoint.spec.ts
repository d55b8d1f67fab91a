import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { graphWith, kernelId, openNotebook, PANEL_ID, runRecordedNotebook } from './helpers';

/** A small session whose plan copies `model` (slow to make) and recomputes `big` (quick, large). */
const CELLS = [
  "import time\ntime.sleep(0.3)\nmodel = {'weights': [1, 2, 3]}",
  'big = bytes(20_000_000)\nview = [big]',
  "label = 'n=' + str(len(model['weights']))"
];

const BUTTON = 'Checkpoint session';

/** Add a code cell with `source` (wherever JupyterLab puts it), run it and return its text output. */
async function runNewCell(page: IJupyterLabPageFixture, source: string): Promise<string> {
  await page.notebook.addCell('code', source);
  let index = (await page.notebook.getCellCount()) - 1;
  while (index > 0 && (await page.notebook.getCellTextInput(index)) !== source) {
    index--;
  }
  await page.notebook.runCell(index);
  return (await page.notebook.getCellTextOutput(index))?.join('') ?? '';
}

// The restore restarts the kernel on the server: let the real server handle kernels.
test.use({ kernels: null } as any);

test.describe('checkpoint and restore from JupyterLab', () => {
  test('"Checkpoint session" checkpoints the kernel, the panel lists it, and Restore brings the session back', async ({
    page,
    tmpPath
  }) => {
    const id = await runRecordedNotebook(page, tmpPath, 'session.ipynb', CELLS);
    const panel = page.locator(`#${PANEL_ID}`);
    await expect(panel.locator('.jp-ElasticNotebook-checkpointList')).toHaveCount(0);
    await expect(panel.locator('.jp-ElasticNotebook-checkpoints')).toContainText('No checkpoints yet');

    // The toolbar button, labelled and titled as the design says.
    const button = page.locator('.jp-NotebookPanel-toolbar [data-command="elastic-notebook:checkpoint-session"]');
    await expect(button.locator('.jp-ToolbarButtonComponent-label')).toHaveText(BUTTON);
    await expect(button).toHaveAttribute('title', BUTTON);
    await expect(button).toHaveAccessibleName(BUTTON);
    await button.click();

    // Progress, then the outcome: as a notification and in the panel.
    await expect(page.locator('.jp-toast-message', { hasText: 'Checkpoint saved' })).toBeVisible({ timeout: 60000 });
    // The progress toast gave way to the outcome (it had stayed at "starting" when the job ended fast).
    await expect(page.locator('.jp-toast-message', { hasText: 'Checkpoint: ' })).toHaveCount(0);
    const job = panel.locator('.jp-ElasticNotebook-job');
    await expect(job).toHaveAttribute('data-state', 'done');
    await expect(job).toContainText('Checkpoint saved: copied');
    const rows = panel.locator('tr.jp-ElasticNotebook-checkpoint');
    await expect(rows).toHaveCount(1);
    const uri = await rows.first().getAttribute('data-uri');
    expect(uri).toMatch(/\/session-\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    const listed = await (await page.request.get('/elastic-notebook/api/checkpoints')).json();
    expect(listed.checkpoints.map((c: any) => c.uri)).toEqual([uri]);
    const copied = listed.checkpoints[0].copiedVariables;
    expect(copied).toBeGreaterThan(0);
    await expect(rows.first().locator('td').nth(2)).toHaveText(String(copied));

    // The session moves on...
    expect(await runNewCell(page, "label = 'changed'\ndel model\nprint(label)")).toBe('changed\n');
    await graphWith(page, id, CELLS.length + 1);

    // ...and Restore (after its confirmation) brings the checkpointed one back into this kernel.
    await rows.first().getByRole('button', { name: 'Restore' }).click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText('The kernel restarts');
    await dialog.getByRole('button', { name: 'Restore' }).click();
    await expect(page.locator('.jp-toast-message', { hasText: 'Session restored' })).toBeVisible({ timeout: 60000 });
    await expect(job).toHaveAttribute('data-state', 'done');
    await expect(job).toContainText('Session restored: loaded');

    // A cell run now sees the checkpointed values, in the restarted kernel (same id).
    expect(await kernelId(page)).toBe(id);
    expect(await runNewCell(page, "print(label, model['weights'], len(big), view[0] is big)")).toBe(
      'n=3 [1, 2, 3] 20000000 True\n'
    );

    // Delete (after its confirmation) removes it from the list and from the server.
    await rows.first().getByRole('button', { name: 'Delete' }).click();
    await expect(dialog).toContainText('cannot be undone');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await expect(rows).toHaveCount(0);
    expect((await (await page.request.get('/elastic-notebook/api/checkpoints')).json()).checkpoints).toEqual([]);
  });

  test('"Restore from…" a folder outside the checkpoint folder asks for trust first', async ({ page, tmpPath }) => {
    await openNotebook(page, tmpPath, 'elsewhere.ipynb', ['import time\ntime.sleep(0.2)\nx = [1, 2]']);
    await page.sidebar.openTab(PANEL_ID);
    await page.notebook.run();
    const id = await kernelId(page);
    await graphWith(page, id, 1);
    // A checkpoint written outside the checkpoint folder (relative paths start at the Jupyter root).
    const location = `${tmpPath}/kept-elsewhere`;
    const started = await page.request.post(`/elastic-notebook/api/kernels/${id}/checkpoints`, {
      data: { uri: location, notebookPath: `${tmpPath}/elsewhere.ipynb` }
    });
    expect(started.status()).toBe(202);
    await expect
      .poll(async () => (await (await page.request.get(`/elastic-notebook/api/jobs/${(await started.json()).jobId}`)).json()).state)
      .toBe('done');
    expect(await runNewCell(page, 'x.append(3)\nprint(x)')).toBe('[1, 2, 3]\n');

    await page.locator(`#${PANEL_ID}`).getByRole('button', { name: 'Restore from…' }).click();
    const dialog = page.locator('.jp-Dialog');
    await dialog.locator('input').fill(location);
    await dialog.getByRole('button', { name: 'Next' }).click();
    await expect(dialog).toContainText('The kernel restarts');
    await expect(dialog).toContainText('Restore checkpoint?');
    await dialog.getByRole('button', { name: 'Restore', exact: true }).click();
    // The server refuses a bundle from outside its folder until the user says it is trusted: one
    // question in plain words, the server's API wording (and a second warning) left out.
    await expect(dialog).toContainText('Restore from outside the checkpoint folder?');
    await expect(dialog).toContainText(`${location} is not in the checkpoint folder`);
    await expect(dialog).toContainText('loading them can run any code');
    await expect(dialog).not.toContainText('"trust"');
    expect(((await dialog.locator('.jp-Dialog-body').innerText()).match(/pickle/g) ?? []).length).toBe(1);
    await dialog.getByRole('button', { name: 'Restore anyway' }).click();
    await expect(page.locator(`#${PANEL_ID} .jp-ElasticNotebook-job`)).toContainText('Session restored', { timeout: 60000 });
    expect(await runNewCell(page, 'print(x)')).toBe('[1, 2]\n');
  });
});
