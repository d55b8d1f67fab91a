import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import path from 'path';
import { graphWith, kernelId, openNotebook, PANEL_ID } from './helpers';

/**
 * A session that fills every section: executions (one failing), live variables and an earlier
 * version, a plan with both decisions.
 */
const CELLS = [
  'import math\nvalues = [1.5, 2.5, 3.5]',
  "__import__('time').sleep(0.3)\nweights = {'a': 1, 'b': 2}",
  'blob = bytes(30_000_000)\nalias = blob',
  'norm = math.sqrt(sum(v * v for v in values))',
  'values = [v / norm for v in values]',
  'raise ValueError("values must be positive")'
];

/** What a cell of the panel's tables looks like on screen. */
interface ICellBox {
  table: string;
  tag: string;
  text: string;
  /** Line boxes the text is laid out in (1: on one line). */
  lines: number;
  /** Whether the content is wider than the cell (it then overlaps the next column). */
  overflows: boolean;
}

/** Every header and data cell of the panel's tables, measured in the page. */
function measureCells(page: IJupyterLabPageFixture): Promise<ICellBox[]> {
  return page.evaluate(id => {
    const boxes: ICellBox[] = [];
    for (const table of document.querySelectorAll(`#${id} table`)) {
      for (const cell of table.querySelectorAll<HTMLElement>('th, td')) {
        const range = document.createRange();
        range.selectNodeContents(cell);
        // One client rect per line box per inline element: count distinct line tops of the text.
        const tops = new Set<number>();
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          if (!node.textContent?.trim() || (node.parentElement && node.parentElement.closest('select'))) {
            continue;
          }
          const text = document.createRange();
          text.selectNodeContents(node);
          for (const rect of text.getClientRects()) {
            if (rect.width > 0) {
              tops.add(Math.round(rect.top));
            }
          }
        }
        boxes.push({
          table: table.className,
          tag: cell.tagName.toLowerCase(),
          text: (cell.innerText || '').trim(),
          lines: tops.size,
          overflows: cell.scrollWidth > cell.clientWidth + 1
        });
      }
    }
    return boxes;
  }, PANEL_ID);
}

/** WCAG contrast of each text in the panel's error rows against the background it is drawn on. */
function errorRowContrasts(page: IJupyterLabPageFixture): Promise<{ text: string; contrast: number }[]> {
  return page.evaluate(id => {
    const rgba = (css: string): number[] => {
      const m = css.match(/rgba?\(([^)]+)\)/);
      const parts = m ? m[1].split(/[ ,/]+/).filter(Boolean).map(Number) : [0, 0, 0, 0];
      return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
    };
    const over = (top: number[], bottom: number[]): number[] => {
      const a = top[3];
      return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat(1);
    };
    /** The opaque colour behind an element: its and its ancestors' backgrounds composited. */
    const backdrop = (node: Element | null): number[] => {
      const layers: number[][] = [];
      for (let el = node; el; el = el.parentElement) {
        const color = rgba(getComputedStyle(el).backgroundColor);
        if (color[3] > 0) {
          layers.push(color);
          if (color[3] >= 1) {
            break;
          }
        }
      }
      return layers.reverse().reduce((below, layer) => over(layer, below), [255, 255, 255, 1]);
    };
    const luminance = (c: number[]) => {
      const [r, g, b] = c.slice(0, 3).map(v => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const results: { text: string; contrast: number }[] = [];
    for (const cell of document.querySelectorAll(`#${id} tr.jp-mod-error td, #${id} tr.jp-ElasticNotebook-errorRow td`)) {
      const text = (cell as HTMLElement).innerText.trim();
      if (!text) {
        continue;
      }
      const bg = backdrop(cell);
      const fg = over(rgba(getComputedStyle(cell.firstElementChild ?? cell).color), bg);
      const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
      results.push({ text, contrast: Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100 });
    }
    return results;
  }, PANEL_ID);
}

test.use({ kernels: null } as any);

test.describe('the panel at its default width', () => {
  test('every section reads: no header wraps, no column spills into the next', async ({ page, tmpPath }) => {
    // Tall enough for the README's picture to show every section.
    await page.setViewportSize({ width: 1280, height: 1150 });
    await openNotebook(page, tmpPath, 'analysis.ipynb', CELLS);
    await page.sidebar.openTab(PANEL_ID);
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('notebook:run-all-cells'));
    await page.notebook.waitForRun(CELLS.length - 1);
    const id = await kernelId(page);
    await graphWith(page, id, CELLS.length);
    await page.locator('.jp-NotebookPanel-toolbar [data-command="elastic-notebook:checkpoint-session"]').click();
    await expect(page.locator('.jp-toast-message', { hasText: 'Checkpoint saved' })).toBeVisible({ timeout: 60000 });

    const panel = page.locator(`#${PANEL_ID}`);
    await expect(panel.locator('tr.jp-ElasticNotebook-execution')).toHaveCount(CELLS.length);
    await expect(panel.locator('tr.jp-ElasticNotebook-variable.jp-mod-active').first()).toBeVisible();
    await expect(panel.locator('.jp-ElasticNotebook-variablesDivider')).toHaveText('Earlier versions');
    await expect(panel.locator('tr.jp-ElasticNotebook-planGroup').first()).toBeVisible();
    await expect(panel.locator('tr.jp-ElasticNotebook-checkpoint')).toHaveCount(1);
    // The sidebar is as JupyterLab opens it (nobody dragged it wider).
    const width = await panel.evaluate(node => node.getBoundingClientRect().width);
    expect(width).toBeLessThan(320);

    const cells = await measureCells(page);
    const headers = cells.filter(c => c.tag === 'th' && c.text);
    // All four sections' tables were measured.
    for (const table of ['executions', 'variables', 'planGroups', 'planTotals', 'checkpointList']) {
      expect(headers.some(h => h.table.includes(`jp-ElasticNotebook-${table}`)), table).toBe(true);
    }
    expect(headers.filter(h => h.lines !== 1).map(h => `${h.text} (${h.lines} lines)`)).toEqual([]);
    expect(cells.filter(c => c.overflows).map(c => `${c.tag} ${c.text}`)).toEqual([]);

    // The README's picture of the panel: the whole sidebar beside the notebook, toasts gone.
    await expect(page.locator('.jp-toast-message')).toHaveCount(0, { timeout: 30000 });
    await page.screenshot({ path: path.resolve(__dirname, '..', '..', 'docs', 'screenshot.png') });

    // Leave the shared checkpoint folder as it was for the other tests.
    const uri = await panel.locator('tr.jp-ElasticNotebook-checkpoint').first().getAttribute('data-uri');
    expect((await page.request.delete(`/elastic-notebook/api/checkpoints?uri=${encodeURIComponent(uri!)}`)).ok()).toBe(true);
  });

  test('error rows read in the dark theme as in the light one', async ({ page, tmpPath }) => {
    await openNotebook(page, tmpPath, 'failing.ipynb', ['x = 1', 'raise ValueError("x must be positive")']);
    await page.sidebar.openTab(PANEL_ID);
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('notebook:run-all-cells'));
    await page.notebook.waitForRun(1);
    await graphWith(page, await kernelId(page), 2);
    await expect(page.locator(`#${PANEL_ID} .jp-ElasticNotebook-error`)).toHaveText(['ValueError: x must be positive']);
    for (const theme of ['JupyterLab Dark', 'JupyterLab Light']) {
      await page.evaluate(name => (window as any).jupyterapp.commands.execute('apputils:change-theme', { theme: name }), theme);
      await expect(page.locator('body')).toHaveAttribute('data-jp-theme-name', theme, { timeout: 30000 });
      await page.waitForTimeout(500); // the theme's stylesheet applies after the attribute
      const contrasts = await errorRowContrasts(page);
      // The failed execution's row (#, cell, ms, reads, writes...) and its error message.
      expect(contrasts.length).toBeGreaterThanOrEqual(6);
      expect(contrasts[contrasts.length - 1].text).toBe('ValueError: x must be positive');
      // WCAG AA for normal text.
      expect(contrasts.filter(c => c.contrast < 4.5), theme).toEqual([]);
    }
  });
});
