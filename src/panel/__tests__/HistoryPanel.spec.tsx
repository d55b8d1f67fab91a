import type { ITranslator } from '@jupyterlab/translation';
import { act, fireEvent } from '@testing-library/react';
import { Widget } from '@lumino/widgets';
import {
  asCheckpoints,
  asHistory,
  asMarks,
  asPlan,
  bracketed,
  execution,
  fakeActions,
  fakeCheckpoints,
  fakeHistory,
  fakeMarks,
  fakePlan,
  feasiblePlan,
  graph,
  infeasiblePlan,
  summary,
  variable,
  type IFakeCheckpoints,
  type IFakeHistory,
  type IFakePlan
} from '../../shared/__tests__/viewFixtures';
import { HISTORY_PANEL_ID, HistoryPanel } from '../HistoryPanel';
import { TargetsModel } from '../../targets/targetsModel';
import { target, thisMachine, unreachable } from '../../targets/__tests__/targetFixtures';

interface IPanelFixture {
  panel: HistoryPanel;
  history: IFakeHistory;
  plan: IFakePlan;
  checkpoints: IFakeCheckpoints;
}

let current: HistoryPanel | null = null;

function panel(translator?: ITranslator): IPanelFixture {
  const history = fakeHistory();
  const plan = fakePlan();
  const checkpoints = fakeCheckpoints();
  current = new HistoryPanel(
    asHistory(history),
    asMarks(fakeMarks()),
    asPlan(plan),
    asCheckpoints(checkpoints),
    fakeActions(),
    translator
  );
  return { panel: current, history, plan, checkpoints };
}

async function attach(widget: Widget): Promise<void> {
  await act(async () => Widget.attach(widget, document.body));
}

/** The section titles as the accordion shows them. */
const titles = (widget: Widget) =>
  Array.from(widget.node.querySelectorAll('.lm-AccordionPanel-titleLabel')).map(label => label.textContent);

afterEach(() => {
  act(() => current?.dispose());
  current = null;
});

describe('HistoryPanel', () => {
  it('has a heading, the status and four sections titled without counts before anything is loaded', async () => {
    const { panel: widget } = panel();
    expect(widget.id).toBe(HISTORY_PANEL_ID);
    expect(widget.title.caption).toBe('Elastic Notebook');
    await attach(widget);
    expect(widget.node.querySelector('h2.jp-ElasticNotebook-heading')?.textContent).toBe('Elastic Notebook');
    expect(widget.node.querySelector('.jp-ElasticNotebook-status')?.textContent).toBe('Recording every cell you run.');
    expect(titles(widget)).toEqual(['Executions', 'Variables', 'Plan', 'Checkpoints']);
    expect(widget.widgets.map(section => section.title.label)).toEqual([
      'Executions',
      'Variables',
      'Plan',
      'Checkpoints'
    ]);
  });

  it('counts the executions and the active variables in the history sections, and re-renders them', async () => {
    const { panel: widget, history } = panel();
    await attach(widget);
    history.graph = graph({
      executions: [execution(0), execution(1, { writes: ['y'] })],
      variables: [variable('x', 0), variable('y', 0, { active: false }), variable('y', 1, { active: false })],
      groups: [['x']]
    });
    await act(async () => history.changed.emit());
    expect(titles(widget).slice(0, 2)).toEqual(['Executions (2)', 'Variables (1 active)']);
    expect(widget.node.querySelectorAll('.jp-ElasticNotebook-executions tbody tr')).toHaveLength(2);
    expect(widget.node.querySelectorAll('.jp-ElasticNotebook-variables tr.jp-mod-active')).toHaveLength(1);

    history.graph = null;
    await act(async () => history.changed.emit());
    expect(titles(widget).slice(0, 2)).toEqual(['Executions', 'Variables']);
  });

  it('says what the plan copies and re-runs in its title', async () => {
    const { panel: widget, plan } = panel();
    await attach(widget);
    plan.plan = feasiblePlan({ copy: ['df'], rerun: [0, 2] });
    await act(async () => plan.changed.emit());
    expect(titles(widget)[2]).toBe('Plan (copy 1, re-run 2)');
    expect(widget.node.querySelector('.jp-ElasticNotebook-planSummary')?.textContent).toBe(
      'Copy 1 variable (0 B), re-run 2 executions (0, 2).'
    );

    plan.plan = infeasiblePlan();
    await act(async () => plan.changed.emit());
    expect(titles(widget)[2]).toBe('Plan (no valid plan)');

    plan.plan = null;
    await act(async () => plan.changed.emit());
    expect(titles(widget)[2]).toBe('Plan');
  });

  it('counts this notebook’s checkpoints and the other notebooks’ in the checkpoints title', async () => {
    const { panel: widget, checkpoints } = panel();
    await attach(widget);
    const own = summary('/data/checkpoints/nb-1', '/home/me/work/nb.ipynb');
    checkpoints.entries = [
      own,
      summary('/data/checkpoints/a-1', '/home/me/a.ipynb'),
      summary('/data/checkpoints/b-1', '/home/me/b.ipynb')
    ];
    await act(async () => checkpoints.changed.emit());
    expect(titles(widget)[3]).toBe('Checkpoints (1 + 2 of other notebooks)');
    expect(widget.node.querySelector('.jp-ElasticNotebook-othersToggle')?.textContent).toBe(
      'Show checkpoints of other notebooks (2)'
    );

    checkpoints.entries = [own];
    await act(async () => checkpoints.changed.emit());
    expect(titles(widget)[3]).toBe('Checkpoints (1)');

    checkpoints.entries = null;
    await act(async () => checkpoints.changed.emit());
    expect(titles(widget)[3]).toBe('Checkpoints');
  });

  it('tells the history and checkpoints models whether the panel is shown', async () => {
    const { panel: widget, history, checkpoints } = panel();
    expect([history.visible, checkpoints.visible]).toEqual([false, false]);
    await attach(widget);
    expect([history.visible, checkpoints.visible]).toEqual([true, true]);
    act(() => widget.hide());
    expect([history.visible, checkpoints.visible]).toEqual([false, false]);
    act(() => widget.show());
    expect([history.visible, checkpoints.visible]).toEqual([true, true]);
    act(() => Widget.detach(widget));
    expect([history.visible, checkpoints.visible]).toEqual([false, false]);
  });

  it('with a targets model: a Targets section titled by how many are reachable, probed while shown', async () => {
    const service = {
      list: jest.fn(async () => [thisMachine(), target('gpu'), unreachable('down', 'connection refused')]),
      add: jest.fn(),
      remove: jest.fn()
    };
    const targets = new TargetsModel(service);
    current = new HistoryPanel(
      asHistory(fakeHistory()),
      asMarks(fakeMarks()),
      asPlan(fakePlan()),
      asCheckpoints(fakeCheckpoints()),
      fakeActions(),
      undefined,
      targets
    );
    expect(targets.visible).toBe(false);
    await attach(current);
    expect(targets.visible).toBe(true);
    await act(async () => {
      await targets.refresh();
    });
    expect(titles(current)).toEqual(['Executions', 'Variables', 'Plan', 'Checkpoints', 'Targets (2 of 3 reachable)']);
    expect(current.node.querySelectorAll('.jp-ElasticNotebook-target')).toHaveLength(3);
    act(() => current?.hide());
    expect(targets.visible).toBe(false);
    targets.dispose();
  });

  it('is not shown when attached hidden', async () => {
    const { panel: widget, history, checkpoints } = panel();
    widget.hide();
    await attach(widget);
    expect([history.visible, checkpoints.visible]).toEqual([false, false]);
  });

  it('reloads the history from its toolbar', async () => {
    const { panel: widget, history } = panel();
    await attach(widget);
    const button = widget.node.querySelector('[title="Reload the history from the server"]') as HTMLElement;
    expect(button).not.toBeNull();
    expect(history.refresh).not.toHaveBeenCalled();
    await act(async () => {
      fireEvent.mouseDown(button);
      fireEvent.click(button);
    });
    expect(history.refresh).toHaveBeenCalledTimes(1);
  });

  it('translates its titles with the translator it is given', async () => {
    const translator: ITranslator = { languageCode: 'xx', load: () => bracketed() };
    const { panel: widget, history } = panel(translator);
    await attach(widget);
    expect(widget.title.caption).toBe('[Elastic Notebook]');
    history.graph = graph({ executions: [execution(0)], variables: [variable('x', 0)], groups: [['x']] });
    await act(async () => history.changed.emit());
    expect(titles(widget).slice(0, 2)).toEqual(['[Executions (1)]', '[Variables (1 active)]']);
  });
});
