import { expect, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import fs from 'fs';
import path from 'path';
import { PANEL_ID, runRecordedNotebook } from './helpers';
import { ITargetServer, startTargetServer } from './targetServer';

/** A session with a value, an alias of it and a notebook-defined function. */
const CELLS = ['x = 41\nalias = [x]', 'def bump(v):\n    return v + 1', 'y = bump(x)'];

// The real server handles kernels (the target binds the notebook to a kernel of its own).
test.use({ kernels: null } as any);

let target: ITargetServer | null = null;

test.beforeAll(async () => {
  target = await startTargetServer();
});

test.afterEach(async ({ request }) => {
  // The target is added from the panel into the server's data folder: later tests must not list it.
  await request.delete('/elastic-notebook/api/targets/second');
});

test.afterAll(async () => {
  await target?.stop();
});

/** Add the second server from the panel as "second" (its token stays on the server side) and pick it. */
async function addAndPick(panel: Locator, second: ITargetServer): Promise<void> {
  await panel.getByText('Add Jupyter server').click();
  await panel.getByLabel('Name').fill('second');
  await panel.getByLabel('URL').fill(second.url);
  await panel.getByLabel('Token').fill(second.token);
  await panel.getByRole('button', { name: 'Add', exact: true }).click();
  const row = panel.locator('.jp-ElasticNotebook-target[data-target="second"]');
  await expect(row).toHaveClass(/jp-mod-reachable/, { timeout: 30_000 });
  await row.locator('input[type="radio"]').check();
}

test('pick a target in the panel, migrate, open the notebook on the target and run a cell there', async ({
  page,
  tmpPath,
  context
}) => {
  test.setTimeout(240_000);
  const second = target!;
  const id = await runRecordedNotebook(page, tmpPath, 'moving.ipynb', CELLS, 1000);
  const panel = page.locator(`#${PANEL_ID}`);

  await addAndPick(panel, second);

  await panel.getByRole('button', { name: 'Migrate to second' }).click();
  const open = panel.getByRole('link', { name: 'Open on second' });
  await expect(open).toBeVisible({ timeout: 180_000 });
  const notebookPath = `${tmpPath}/moving.ipynb`;
  expect(await open.getAttribute('href')).toBe(`${second.url}lab/tree/${notebookPath}`);
  expect(await panel.locator('.jp-ElasticNotebook-job').getAttribute('data-state')).toBe('done');

  // The job says which kernel on the target holds the session.
  const jobs = await (await page.request.get(`/elastic-notebook/api/jobs?kernelId=${id}`)).json();
  const migration = jobs.jobs.find((job: any) => job.kind === 'migrate' && job.state === 'done');
  expect(migration.result.verification.ok).toBe(true);
  // The README's picture of a finished migration: the other sections folded, the targets shown.
  for (const section of ['Executions', 'Variables', 'Plan']) {
    await panel.locator('.lm-AccordionPanel-title', { hasText: section }).click();
  }
  await page.screenshot({ path: path.resolve(__dirname, '..', '..', 'docs', 'migration.png') });

  // Open it there as a user would (logging in with the target's token first) and run a new cell.
  const there = await context.newPage();
  await there.goto(`${second.url}lab?token=${second.token}`);
  await there.goto(`${second.url}lab/tree/${notebookPath}`);
  await there.waitForFunction(
    kernel => (window as any).jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel?.id === kernel,
    migration.result.kernelId,
    { timeout: 60_000 }
  );
  await there.locator('.jp-Notebook .jp-Cell').last().click();
  await there.keyboard.press('Escape');
  await there.keyboard.press('b');
  await there.keyboard.press('Enter');
  await there.keyboard.type('print(y + 1, alias[0] is x)');
  await there.keyboard.press('Shift+Enter');
  await expect(there.locator('.jp-Notebook .jp-OutputArea-output').filter({ hasText: '43 True' })).toBeVisible({
    timeout: 60_000
  });
  await there.close();
});

test('a different notebook at the path on the target: the panel asks, Cancel keeps it, Replace migrates', async ({
  page,
  tmpPath
}) => {
  test.setTimeout(240_000);
  const second = target!;
  // The target already holds another notebook at the same path.
  const theirs = path.join(second.root, tmpPath, 'taken.ipynb');
  fs.mkdirSync(path.dirname(theirs), { recursive: true });
  const theirText = JSON.stringify({
    cells: [{ cell_type: 'code', id: 'theirs', metadata: {}, outputs: [], execution_count: null, source: 'theirs = 1' }],
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5
  });
  fs.writeFileSync(theirs, theirText);
  const id = await runRecordedNotebook(page, tmpPath, 'taken.ipynb', CELLS);
  const panel = page.locator(`#${PANEL_ID}`);
  await addAndPick(panel, second);
  const dialog = page.locator('.jp-Dialog');
  const migrations = async () =>
    ((await (await page.request.get(`/elastic-notebook/api/jobs?kernelId=${id}`)).json()).jobs as any[]).filter(
      job => job.kind === 'migrate'
    );

  // Cancel: nothing is migrated, their notebook stays as it was.
  await panel.getByRole('button', { name: 'Migrate to second' }).click();
  await expect(dialog.getByText('Replace the notebook on the target?')).toBeVisible({ timeout: 60_000 });
  await expect(dialog).toContainText(`second already has a different notebook at ${tmpPath}/taken.ipynb`);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toHaveCount(0);
  expect(await migrations()).toEqual([]);
  expect(fs.readFileSync(theirs, 'utf8')).toBe(theirText);

  // Replace: the migration runs and the target's notebook is this one.
  await panel.getByRole('button', { name: 'Migrate to second' }).click();
  await expect(dialog.getByText('Replace the notebook on the target?')).toBeVisible({ timeout: 60_000 });
  await dialog.getByRole('button', { name: 'Replace' }).click();
  await expect(panel.getByRole('link', { name: 'Open on second' })).toBeVisible({ timeout: 180_000 });
  const [migration] = await migrations();
  expect(migration.state).toBe('done');
  const replaced = JSON.parse(fs.readFileSync(theirs, 'utf8'));
  expect(replaced.cells.map((cell: any) => (Array.isArray(cell.source) ? cell.source.join('') : cell.source))).toEqual(
    CELLS
  );
});
