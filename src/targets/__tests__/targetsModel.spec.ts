import type { AddTargetRequest, Target } from '@elastic-notebook/protocol';
import { deferred, fakeKernel, settle } from '../../shared/__tests__/modelFakes';
import { TargetsModel } from '../targetsModel';
import { ITargetsService } from '../targetsService';
import { target, thisMachine, unreachable } from './targetFixtures';

/** A targets service whose answers the spec sets, recording the calls. */
class FakeTargetsService implements ITargetsService {
  answer: Target[] | Error = [thisMachine(), unreachable('down', 'connection refused'), target('gpu')];
  calls: string[] = [];
  hold: Promise<void> | null = null;

  async list(kernelId: string | null): Promise<Target[]> {
    this.calls.push(`list ${kernelId}`);
    await this.hold;
    if (this.answer instanceof Error) {
      throw this.answer;
    }
    return this.answer;
  }

  async add(request: AddTargetRequest): Promise<Target> {
    this.calls.push(`add ${request.name}`);
    if (request.token === 'bad') {
      throw new Error('http://h/: 403: token refused');
    }
    return target(request.name, { origin: 'panel', removable: true });
  }

  async remove(name: string): Promise<void> {
    this.calls.push(`remove ${name}`);
  }
}

describe('TargetsModel', () => {
  it('lists when shown, with the shown kernel; picks the first reachable target other than this machine', async () => {
    const service = new FakeTargetsService();
    const model = new TargetsModel(service);
    model.setKernel(fakeKernel('k1'), 'a.ipynb');
    await settle();
    expect(service.calls).toEqual([]);
    model.visible = true;
    await settle();
    expect(service.calls).toEqual(['list k1']);
    expect(model.targets.map(t => t.name)).toEqual(['this machine', 'down', 'gpu']);
    expect(model.selected).toBe('gpu');
    expect(model.selectedTarget?.name).toBe('gpu');
  });

  it('keeps the pick while it is listed; another kernel while shown lists again', async () => {
    const service = new FakeTargetsService();
    const model = new TargetsModel(service);
    model.visible = true;
    await settle();
    model.selected = 'this machine';
    model.setKernel(fakeKernel('k2'));
    await settle();
    expect(service.calls).toEqual(['list null', 'list k2']);
    expect(model.selected).toBe('this machine');
    service.answer = [thisMachine(), unreachable('down', 'connection refused')];
    const fresh = new TargetsModel(service);
    await fresh.refresh();
    // Nothing reachable but this machine: nothing picked.
    expect(fresh.selected).toBeNull();
  });

  it('keeps the last list and says why a listing failed; loading while it runs', async () => {
    const service = new FakeTargetsService();
    const model = new TargetsModel(service);
    await model.refresh();
    service.answer = new Error('502: companion down');
    const gate = deferred<void>();
    service.hold = gate.promise;
    const pending = model.refresh();
    expect(model.loading).toBe(true);
    gate.resolve();
    await pending;
    expect(model.loading).toBe(false);
    expect(model.error).toBe('could not list the targets: 502: companion down');
    expect(model.targets).toHaveLength(3);
  });

  it('adds and removes, with the reason of a refusal in editError', async () => {
    const service = new FakeTargetsService();
    const model = new TargetsModel(service);
    await model.refresh();
    let changes = 0;
    model.changed.connect(() => changes++);
    expect(await model.add({ name: 'x', url: 'http://h/', token: 'bad' })).toBe(false);
    expect(model.editError).toBe('http://h/: 403: token refused');
    expect(await model.add({ name: 'mine', url: 'http://h/', token: 'good' })).toBe(true);
    expect(model.editError).toBeNull();
    expect(model.targets.map(t => t.name)).toEqual(['this machine', 'down', 'gpu', 'mine']);
    expect(await model.remove('mine')).toBe(true);
    expect(model.targets.map(t => t.name)).toEqual(['this machine', 'down', 'gpu']);
    expect(service.calls.slice(1)).toEqual(['add x', 'add mine', 'remove mine']);
    expect(changes).toBeGreaterThan(3);
  });

  it('a picked target that is no longer listed gives way to the first reachable one', async () => {
    const service = new FakeTargetsService();
    const model = new TargetsModel(service);
    await model.refresh();
    expect(await model.add({ name: 'mine', url: 'http://h/', token: 'good' })).toBe(true);
    model.selected = 'mine';
    await model.remove('mine');
    expect(model.selected).toBe('gpu');
  });
});
