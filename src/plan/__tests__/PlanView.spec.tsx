import { formatBytes } from '@elastic-notebook/protocol';
import { fireEvent, render, screen } from '@testing-library/react';
import React from 'react';
import {
  asPlan,
  bracketed,
  costModel,
  fakePlan,
  feasiblePlan,
  group,
  infeasiblePlan
} from '../../shared/__tests__/viewFixtures';
import { pricedWith } from '../planFootnote';
import { PlanView } from '../PlanView';

/** The text of every cell of a table's rows. */
function cells(table: Element | null): string[][] {
  return Array.from(table?.querySelectorAll('tr') ?? []).map(row =>
    Array.from(row.querySelectorAll('th, td')).map(cell => cell.textContent ?? '')
  );
}

const objective = () => screen.getByRole('combobox', { name: 'Plan objective' }) as HTMLSelectElement;

/** A plan copying df and model (one linked group) and recomputing x by re-running 1 and 2. */
const mixedPlan = () =>
  feasiblePlan({
    copy: ['df', 'model'],
    rerun: [1, 2],
    groups: [
      group(['df', 'model'], { sizeBytes: 12_345_678, copyCostMs: 250, recomputeCostMs: 61_000, reason: 'df is slow' }),
      group(['x'], {
        decision: 'recompute',
        sizeBytes: 1500,
        copyCostMs: null,
        recomputeCostMs: 3.25,
        reason: 'x cannot be pickled'
      })
    ],
    estimate: { migrateMs: 250, restoreMs: 1234, totalMs: 1484, objectiveCost: 1484 },
    baselines: {
      copyAll: { feasible: false, reason: 'x cannot be pickled' },
      recomputeAll: { feasible: true, migrateMs: 0.5, restoreMs: 61_000, totalMs: 61_000.5, objectiveCost: 61_000.5 }
    },
    notes: ['The standalone cost of 1 group was not priced.']
  });

describe('PlanView', () => {
  it('shows the objective and sets the model’s objective when another is chosen', () => {
    const model = fakePlan({ objective: 'fast-restore' });
    render(<PlanView model={asPlan(model)} />);
    expect(Array.from(objective().options).map(o => [o.value, o.textContent])).toEqual([
      ['balanced', 'Balanced'],
      ['fast-migrate', 'Fast migrate'],
      ['fast-restore', 'Fast restore']
    ]);
    expect(objective().value).toBe('fast-restore');
    fireEvent.change(objective(), { target: { value: 'fast-migrate' } });
    expect(model.objective).toBe('fast-migrate');
  });

  it('plans again from its refresh button', () => {
    const model = fakePlan();
    const { container } = render(<PlanView model={asPlan(model)} />);
    const refresh = container.querySelector('.jp-ElasticNotebook-planRefresh') as HTMLElement;
    expect(refresh.getAttribute('title')).toBe('Plan again');
    expect(model.refresh).not.toHaveBeenCalled();
    fireEvent.click(refresh);
    expect(model.refresh).toHaveBeenCalledTimes(1);
  });

  it('asks to run cells while there is no plan', () => {
    render(<PlanView model={asPlan(fakePlan())} />);
    expect(screen.getByText('Run cells to get a checkpoint plan.').className).toBe('jp-ElasticNotebook-empty');
    expect(screen.queryByText('Planning…')).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('says it is planning while a plan is fetched', () => {
    const { container } = render(<PlanView model={asPlan(fakePlan({ loading: true, plan: mixedPlan() }))} />);
    expect(container.querySelector('.jp-ElasticNotebook-planLoading')?.textContent).toBe('Planning…');
    // The last plan stays shown meanwhile.
    expect(container.querySelector('.jp-ElasticNotebook-planGroups')).not.toBeNull();
  });

  it('shows a planning error as an alert', () => {
    render(<PlanView model={asPlan(fakePlan({ error: 'could not plan: 500 Internal Server Error' }))} />);
    expect(screen.getByRole('alert').textContent).toBe('could not plan: 500 Internal Server Error');
    expect(screen.getByRole('alert').className).toBe('jp-ElasticNotebook-serverError');
  });

  it('summarises a feasible plan and lists its groups with their decisions and costs', () => {
    const { container } = render(<PlanView model={asPlan(fakePlan({ plan: mixedPlan() }))} />);
    expect(container.querySelector('.jp-ElasticNotebook-planSummary')?.textContent).toBe(
      `Copy 2 variables (${formatBytes(12_345_678)}), re-run 2 executions (1, 2).`
    );
    expect(formatBytes(12_345_678)).toBe('12.3 MB');
    expect(cells(container.querySelector('.jp-ElasticNotebook-planGroups'))).toEqual([
      ['Variables', 'Size', 'Copy', 'Recompute'],
      ['df, model copy', '12.3 MB', '250 ms', '1 min 1 s'],
      ['df is slow'],
      ['x recompute', '1.5 kB', '–', '3.3 ms'],
      ['x cannot be pickled']
    ]);
    const groups = Array.from(container.querySelectorAll('tr.jp-ElasticNotebook-planGroup'));
    expect(groups.map(row => row.className)).toEqual([
      'jp-ElasticNotebook-planGroup jp-mod-copy',
      'jp-ElasticNotebook-planGroup jp-mod-recompute'
    ]);
    expect(groups.map(row => row.getAttribute('data-members'))).toEqual(['df,model', 'x']);
    expect(groups.map(row => row.getAttribute('title'))).toEqual(['df is slow', 'x cannot be pickled']);
  });

  it('compares the plan with the baselines, naming an impossible one', () => {
    const { container } = render(<PlanView model={asPlan(fakePlan({ plan: mixedPlan() }))} />);
    const totals = container.querySelector('.jp-ElasticNotebook-planTotals');
    expect(cells(totals)).toEqual([
      ['', 'Migrate', 'Restore', 'Total'],
      ['This plan', '250 ms', '1.23 s', '1.48 s'],
      ['Copy all', 'impossible: x cannot be pickled'],
      ['Recompute all', '0.5 ms', '1 min 1 s', '1 min 1 s']
    ]);
    expect(Array.from(totals?.querySelectorAll('tbody tr') ?? []).map(row => row.className)).toEqual([
      'jp-ElasticNotebook-planTotal jp-mod-plan',
      'jp-ElasticNotebook-planTotal jp-mod-copyAll jp-mod-impossible',
      'jp-ElasticNotebook-planTotal jp-mod-recomputeAll'
    ]);
    expect((totals?.querySelector('.jp-mod-impossible td') as HTMLTableCellElement).colSpan).toBe(3);
  });

  it('shows the plan’s notes and what it was priced with', () => {
    const { container } = render(<PlanView model={asPlan(fakePlan({ plan: mixedPlan() }))} />);
    const notes = Array.from(container.querySelectorAll('.jp-ElasticNotebook-planNote')).map(p => p.textContent);
    expect(notes).toEqual(['The standalone cost of 1 group was not priced.', pricedWith(costModel())]);
    expect(notes[1]).toMatch(/^Priced with default numbers until checkpoints and restores have been measured: /);
  });

  it('words a plan that copies one variable and re-runs nothing, without a groups table', () => {
    const plan = feasiblePlan({ copy: ['x'], rerun: [], groups: [] });
    const { container } = render(<PlanView model={asPlan(fakePlan({ plan }))} />);
    expect(container.querySelector('.jp-ElasticNotebook-planSummary')?.textContent).toBe(
      'Copy 1 variable (0 B), re-run 0 executions.'
    );
    expect(container.querySelector('.jp-ElasticNotebook-planGroups')).toBeNull();
    expect(cells(container.querySelector('.jp-ElasticNotebook-planTotals'))[1]).toEqual([
      'This plan',
      '10 ms',
      '20 ms',
      '30 ms'
    ]);
  });

  it('explains an infeasible plan and lists what to do', () => {
    const { container } = render(<PlanView model={asPlan(fakePlan({ plan: infeasiblePlan() }))} />);
    const alert = screen.getByRole('alert');
    expect(alert.className).toBe('jp-ElasticNotebook-infeasible');
    expect(alert.querySelector('.jp-ElasticNotebook-infeasibleMessage')?.textContent).toBe(
      'conn can be neither copied nor recomputed.'
    );
    expect(screen.getByText('What you can do:')).toBeTruthy();
    expect(Array.from(alert.querySelectorAll('li')).map(li => li.textContent)).toEqual([
      'Unmark execution 2 "never re-run".',
      'Mark conn "always copy" if it can be pickled.'
    ]);
    expect(container.querySelector('.jp-ElasticNotebook-planTotals')).toBeNull();
    expect(container.querySelector('.jp-ElasticNotebook-planSummary')).toBeNull();
  });

  it('translates its labels', () => {
    const { container } = render(<PlanView model={asPlan(fakePlan({ plan: mixedPlan() }))} trans={bracketed()} />);
    expect(screen.getByRole('combobox', { name: '[Plan objective]' })).toBeTruthy();
    expect(container.querySelector('.jp-ElasticNotebook-planSummary')?.textContent).toBe(
      '[Copy 2 variables (12.3 MB)], [re-run 2 executions] (1, 2).'
    );
    expect(cells(container.querySelector('.jp-ElasticNotebook-planTotals'))[2]).toEqual([
      '[Copy all]',
      '[impossible: x cannot be pickled]'
    ]);
  });
});
