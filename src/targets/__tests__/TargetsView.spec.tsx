import { act, fireEvent, render, screen } from '@testing-library/react';
import React from 'react';
import type { AddTargetRequest, Target } from '@elastic-notebook/protocol';
import { TargetsModel } from '../targetsModel';
import { ITargetsService } from '../targetsService';
import { TargetsView } from '../TargetsView';
import { machine, target, thisMachine, unreachable } from './targetFixtures';
import { job, migrateResult } from '../../shared/__tests__/viewFixtures';
import type { IMigrationActions } from '../migrationActions';

class Service implements ITargetsService {
  constructor(public targets: Target[]) {}
  failure: Error | null = null;
  added: AddTargetRequest[] = [];
  removed: string[] = [];
  async list(): Promise<Target[]> {
    if (this.failure) {
      throw this.failure;
    }
    return this.targets;
  }
  async add(request: AddTargetRequest): Promise<Target> {
    if (request.token === 'bad') {
      throw new Error(`${request.url}: 403: token refused`);
    }
    this.added.push(request);
    return target(request.name, { origin: 'panel', removable: true });
  }
  async remove(name: string): Promise<void> {
    this.removed.push(name);
  }
}

/** The model over `targets`, listed, and the view rendered (re-rendered on every change). */
async function shown(targets: Target[]) {
  const service = new Service(targets);
  const model = new TargetsModel(service);
  await model.refresh();
  const view = render(<TargetsView model={model} />);
  model.changed.connect(() => view.rerender(<TargetsView model={model} />));
  return { model, service, view };
}

const rows = (container: HTMLElement) =>
  Array.from(container.querySelectorAll('.jp-ElasticNotebook-target')).map(row => row.getAttribute('data-target'));

describe('TargetsView', () => {
  it('one row per target: reachable ones with their facts, unreachable ones with the reason', async () => {
    const gpu = target('gpu', {
      machine: machine({ version: '0.2.0', gpus: [{ name: 'Tesla T4', memoryBytes: 16e9 }], cpus: 32 }),
      versionMatch: false,
      relativeCpuSpeed: 2,
      bandwidthSource: 'measured',
      moduleMismatches: [
        { module: 'pandas', here: '2.2.0', there: '2.1.0' },
        { module: 'sklearn', here: '1.5.0', there: null }
      ]
    });
    const { view } = await shown([thisMachine(), gpu, unreachable('down', 'connection refused')]);
    expect(rows(view.container)).toEqual(['this machine', 'gpu', 'down']);
    const gpuRow = view.container.querySelector('[data-target="gpu"]') as HTMLElement;
    expect(gpuRow.className).toContain('jp-mod-reachable');
    const facts = gpuRow.querySelector('.jp-ElasticNotebook-targetFacts p')?.textContent;
    expect(facts).toContain('Elastic Notebook 0.2.0 (differs from here)');
    expect(facts).toContain('32 CPUs');
    expect(facts).toContain('GPU Tesla T4');
    expect(facts).toContain('Python 3.11.7');
    expect(facts).toContain('CPU speed ×2.00');
    expect(facts).toContain('/s from here (measured)');
    expect(Array.from(gpuRow.querySelectorAll('.jp-ElasticNotebook-moduleMismatch')).map(li => li.textContent)).toEqual(
      ['pandas 2.2.0 here, 2.1.0 there', 'sklearn 1.5.0 here, missing there']
    );
    const downRow = view.container.querySelector('[data-target="down"]') as HTMLElement;
    expect(downRow.className).toContain('jp-mod-unreachable');
    expect(downRow.querySelector('.jp-ElasticNotebook-targetReason')?.textContent).toBe('connection refused');
    expect(screen.getByRole('img', { name: 'unreachable' })).toBeTruthy();
  });

  it('the radio picks the target on the model', async () => {
    const { model } = await shown([thisMachine(), target('gpu')]);
    expect((screen.getByLabelText('gpu') as HTMLInputElement).checked).toBe(true);
    act(() => {
      fireEvent.click(screen.getByLabelText('this machine'));
    });
    expect(model.selected).toBe('this machine');
    expect((screen.getByLabelText('this machine') as HTMLInputElement).checked).toBe(true);
  });

  it('adds a Jupyter server through the form, shows a refusal, removes a panel target', async () => {
    const { model, service, view } = await shown([thisMachine()]);
    const fill = (name: string, url: string, token: string) => {
      fireEvent.change(screen.getByLabelText('Name'), { target: { value: name } });
      fireEvent.change(screen.getByLabelText('URL'), { target: { value: url } });
      fireEvent.change(screen.getByLabelText('Token'), { target: { value: token } });
    };
    fill('box', 'http://box:8888/', 'bad');
    await act(async () => {
      fireEvent.submit(view.container.querySelector('form') as HTMLFormElement);
    });
    expect(screen.getByRole('alert').textContent).toBe('http://box:8888/: 403: token refused');
    expect((screen.getByLabelText('Token') as HTMLInputElement).value).toBe('bad');
    fill(' box ', 'http://box:8888/', 'good');
    await act(async () => {
      fireEvent.submit(view.container.querySelector('form') as HTMLFormElement);
    });
    expect(service.added).toEqual([{ name: 'box', url: 'http://box:8888/', token: 'good' }]);
    expect(rows(view.container)).toEqual(['this machine', 'box']);
    expect((screen.getByLabelText('Token') as HTMLInputElement).value).toBe('');
    expect(model.selected).toBe('box');
    await act(async () => {
      fireEvent.click(screen.getByText('Remove'));
    });
    expect(service.removed).toEqual(['box']);
    expect(rows(view.container)).toEqual(['this machine']);
  });

  it('Refresh lists again; a failure is shown', async () => {
    const { model, service, view } = await shown([thisMachine()]);
    const refresh = () =>
      act(async () => {
        fireEvent.click(view.container.querySelector('.jp-ElasticNotebook-targetsRefresh') as HTMLElement);
      });
    service.targets = [thisMachine(), target('new')];
    await refresh();
    expect(rows(view.container)).toEqual(['this machine', 'new']);
    expect(model.error).toBeNull();
    service.failure = new Error('502: companion down');
    await refresh();
    expect(screen.getByRole('alert').textContent).toBe('could not list the targets: 502: companion down');
    expect(rows(view.container)).toEqual(['this machine', 'new']);
  });

  it('with migration actions: a Migrate button for the picked target, disabled with the reason why', async () => {
    const { model } = await shown([thisMachine(), target('gpu')]);
    const migration = { blocker: jest.fn(() => null), job: jest.fn(() => null), migrate: jest.fn(), cancel: jest.fn() };
    const view = render(<TargetsView model={model} migration={migration as IMigrationActions} />);
    const button = view.getByText('Migrate to gpu') as HTMLButtonElement;
    expect(button.disabled).toBe(false);
    fireEvent.click(button);
    expect(migration.migrate).toHaveBeenCalledWith({ stopSource: false });
    expect(button.getAttribute('title')).toMatch(/this kernel keeps running$/);
    fireEvent.click(view.getByLabelText('Stop this kernel once the migrated session is verified'));
    expect(button.getAttribute('title')).toMatch(/then this kernel stops$/);
    fireEvent.click(button);
    expect(migration.migrate).toHaveBeenLastCalledWith({ stopSource: true });
    migration.blocker.mockReturnValue('gpu is not reachable: connection refused.' as never);
    view.rerender(<TargetsView model={model} migration={migration as IMigrationActions} />);
    expect((view.getByText('Migrate to gpu') as HTMLButtonElement).disabled).toBe(true);
    expect(view.getByText('Migrate to gpu').getAttribute('title')).toBe('gpu is not reachable: connection refused.');
  });

  it("shows the kernel's migration: Cancel while it runs, then a link to the notebook on the target", async () => {
    const { model } = await shown([thisMachine(), target('gpu')]);
    let current = job({ kind: 'migrate', steps: [{ message: 'sending 3 files', at: '2026-12-07T00:00:00Z' }] });
    const migration: IMigrationActions = {
      blocker: () => 'A checkpoint, restore or migration of this kernel is running.',
      job: () => current,
      migrate: jest.fn(),
      cancel: jest.fn()
    };
    const view = render(<TargetsView model={model} migration={migration} />);
    expect(view.container.querySelector('.jp-ElasticNotebook-job')?.textContent).toContain(
      'Migration: sending 3 files'
    );
    fireEvent.click(view.getByText('Cancel'));
    expect(migration.cancel).toHaveBeenCalledWith(current);
    current = job({
      kind: 'migrate',
      state: 'done',
      result: migrateResult({ target: 'gpu', notebookUrl: 'http://gpu:8888/lab/tree/a.ipynb' })
    });
    view.rerender(<TargetsView model={model} migration={migration} />);
    const link = view.getByText('Open on gpu') as HTMLAnchorElement;
    expect(link.href).toBe('http://gpu:8888/lab/tree/a.ipynb');
    expect(link.target).toBe('_blank');
  });
});
