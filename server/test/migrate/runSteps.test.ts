/**
 * Running a restore's steps through the agent's `restore` call (runSteps.ts), with the fake
 * kernel and agent of the companion tests: one round trip for a small restore, chunks when the
 * agent hands back control, cancellation between chunks, a failed load, and a re-run that needs
 * its own execute request.
 */
import { createHash } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { AgentCalls, IRestoreCallStep } from '../../src/migrate/agentCalls';
import { runSteps } from '../../src/migrate/runSteps';
import { FakeKernel, Gate } from '../companion/fakeKernels';

const sha = (data: string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elastic-steps-'));
  fs.writeFileSync(path.join(dir, 'history.jsonl'), '{"seq":0}\n{"seq":1}\n{"seq":2}\n');
  fs.writeFileSync(path.join(dir, 'random.pkl'), 'states');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A payload file the fake agent loads: its members' JSON values. */
function payload(index: number, values: Record<string, unknown>, damaged = false) {
  const data = JSON.stringify(values);
  fs.writeFileSync(path.join(dir, `g${index}.pkl`), damaged ? data.replace('1', '7') : data);
  return { index, members: Object.keys(values), file: `g${index}.pkl`, checksum: sha(data) };
}

const rerun = (execution: number, code: string): IRestoreCallStep => ({ kind: 'rerun', execution, code });

/** Run `steps` in `kernel`, collecting the progress messages. */
function run(kernel: FakeKernel, steps: IRestoreCallStep[], extra: { signal?: AbortSignal } = {}) {
  const messages: string[] = [];
  const channel = kernel.channel();
  const result = runSteps({
    agent: new AgentCalls(channel),
    kernel: channel,
    steps,
    messages: steps.map((s, i) => `step ${i} (${s.kind})`),
    dir,
    random: { dir, file: 'random.pkl', checksum: sha('states') },
    finish: { fingerprints: {}, adopt: { dir, history: 'history.jsonl', random: 'random.pkl' } },
    step: message => messages.push(message),
    ...extra
  });
  return { result, messages };
}

describe('runSteps', () => {
  test('a small restore is one agent call: steps, verification and adoption', async () => {
    const kernel = new FakeKernel('k');
    const steps = [
      rerun(0, 'a = 1'),
      { kind: 'load' as const, groups: [payload(0, { b: [1, 2] })] },
      rerun(2, 'raise ValueError')
    ];
    const { result, messages } = run(kernel, steps);
    const done = await result;
    expect(kernel.calls).toEqual(['restore']);
    expect(done.roundTrips).toBe(1);
    expect(Object.fromEntries(kernel.namespace)).toEqual({ a: 1, b: [1, 2] });
    expect(done.reruns).toEqual([
      { execution: 0, error: null },
      { execution: 2, error: 'ValueError: raised' }
    ]);
    expect(done.loads).toEqual([{ index: 0, ok: true, error: null, importMs: 0, bytes: '{"b":[1,2]}'.length }]);
    expect(done.failedLoad).toBe(false);
    // verify of the fake: no fingerprints were given, so both variables are unexpected.
    expect(done.verification).toMatchObject({ ok: false, unexpected: ['a', 'b'] });
    expect(kernel.adopted).toBe(3);
    expect(messages).toEqual([
      'step 0 (rerun)',
      'verifying the restored variables',
      'continuing the recorded history in the restored kernel'
    ]);
  });

  test('when the agent hands back control, the rest follows in further calls, each announced', async () => {
    const kernel = new FakeKernel('k');
    kernel.stepsPerCall = 2;
    const steps = [rerun(0, 'a = 1'), rerun(1, 'b = 2'), rerun(2, 'c = 3'), rerun(3, 'd = 4'), rerun(4, 'e = 5')];
    const { result, messages } = run(kernel, steps);
    const done = await result;
    expect(kernel.calls).toEqual(['restore', 'restore', 'restore']);
    expect(done.reruns.map(r => r.execution)).toEqual([0, 1, 2, 3, 4]);
    expect(messages.slice(0, 3)).toEqual(['step 0 (rerun)', 'step 2 (rerun)', 'step 4 (rerun)']);
    expect(kernel.adopted).toBe(3);
  });

  test('a cancellation takes effect between two calls', async () => {
    const kernel = new FakeKernel('k');
    kernel.stepsPerCall = 1;
    const gate = new Gate();
    kernel.gates.set('restore', gate);
    const controller = new AbortController();
    const { result } = run(kernel, [rerun(0, 'a = 1'), rerun(1, 'b = 2')], { signal: controller.signal });
    await gate.reached;
    controller.abort();
    gate.release();
    await expect(result).rejects.toThrow('the restore was cancelled');
    expect(kernel.reruns).toEqual(['a = 1']);
    expect(kernel.adopted).toBeNull();
  });

  test('a failed load stops the steps: nothing after it runs, nothing is verified', async () => {
    const kernel = new FakeKernel('k');
    const steps: IRestoreCallStep[] = [
      { kind: 'load', groups: [payload(0, { a: 1 })] },
      { kind: 'load', groups: [payload(1, { b: 1 }, true), payload(2, { c: 3 })] },
      rerun(1, 'd = 4')
    ];
    const done = await run(kernel, steps).result;
    expect(done.failedLoad).toBe(true);
    expect(done.loads.map(l => [l.index, l.ok, l.error])).toEqual([
      [0, true, null],
      [1, false, 'checksum mismatch'],
      [2, true, null]
    ]);
    expect(done.verification).toBeNull();
    expect(kernel.namespace.has('d')).toBe(false);
    expect(kernel.adopted).toBeNull();
  });

  test('a re-run that needs the event loop goes as its own request, with its random states first', async () => {
    const kernel = new FakeKernel('k');
    const steps = [rerun(0, 'a = 1'), rerun(1, 'await something()\nb = 2'), rerun(2, 'c = 3')];
    const { result, messages } = run(kernel, steps);
    const done = await result;
    expect(kernel.calls).toEqual(['restore', 'prepare', 'restore']);
    expect(kernel.reruns).toEqual(['a = 1', 'await something()\nb = 2', 'c = 3']);
    expect(done.reruns.map(r => r.execution)).toEqual([0, 1, 2]);
    expect(done.roundTrips).toBe(4);
    expect(Object.fromEntries(kernel.namespace)).toEqual({ a: 1, b: 2, c: 3 });
    expect(messages.slice(0, 3)).toEqual(['step 0 (rerun)', 'step 1 (rerun)', 'step 2 (rerun)']);
  });

  test('an agent that stops without running a step is an error, not a loop', async () => {
    const kernel = new FakeKernel('k');
    kernel.stepsPerCall = 0;
    await expect(run(kernel, [rerun(0, 'a = 1')]).result).rejects.toThrow(
      'stopped the restore steps without running any'
    );
  });
});
