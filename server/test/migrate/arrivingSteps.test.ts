/**
 * A restore whose payloads still arrive (a pipelined migration's target): runSteps runs the steps
 * before a load whose file is incomplete, waits for that file, then loads it and goes on; a file
 * that stops arriving fails the wait, and so does a cancel.
 */
import { createHash } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { AgentCalls, IRestoreCallStep } from '../../src/migrate/agentCalls';
import { runSteps } from '../../src/migrate/runSteps';
import { ArrivingPayloads } from '../../src/transfer/arrivingPayloads';
import { FakeKernel } from '../companion/fakeKernels';

const sha = (data: string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const PAYLOAD = JSON.stringify({ b: [1, 2] });

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elastic-arriving-'));
  fs.writeFileSync(path.join(dir, 'random.pkl'), 'states');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Wait until `check` holds (bounded: fails with `what` if it never does). */
async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) {
    await new Promise(resolve => setTimeout(resolve, 10));
  }
  if (!check()) {
    throw new Error(`never happened: ${what}`);
  }
}

test('the steps before a load run while its payload arrives; the load waits for it', async () => {
  const kernel = new FakeKernel('k');
  const channel = kernel.channel();
  const arriving = new ArrivingPayloads(dir, new Map([['g0.pkl', PAYLOAD.length]]), 60_000);
  const steps: IRestoreCallStep[] = [
    { kind: 'rerun', execution: 0, code: 'a = 1' },
    { kind: 'load', groups: [{ index: 0, members: ['b'], file: 'g0.pkl', checksum: sha(PAYLOAD) }] },
    { kind: 'rerun', execution: 2, code: 'c = 3' }
  ];
  const messages: string[] = [];
  // Half the payload is there when the restore starts.
  fs.writeFileSync(path.join(dir, 'g0.pkl'), PAYLOAD.slice(0, 4));
  const done = runSteps({
    agent: new AgentCalls(channel),
    kernel: channel,
    steps,
    messages: ['re-running 0', 'loading b', 're-running 2'],
    dir,
    random: { dir, file: 'random.pkl', checksum: sha('states') },
    finish: { fingerprints: {}, adopt: { dir, history: 'random.pkl', random: 'random.pkl' } },
    step: message => messages.push(message),
    arriving
  });
  await until('the load waits', () => messages.includes('waiting for g0.pkl to arrive'));
  // The re-run before the load ran, without verification or adoption (steps remain).
  expect(kernel.restoreArgs.map(a => a.steps.map((s: IRestoreCallStep) => s.kind))).toEqual([['rerun']]);
  expect(kernel.restoreArgs[0].finish).toBeUndefined();
  expect(Object.fromEntries(kernel.namespace)).toEqual({ a: 1 });
  expect(arriving.complete('g0.pkl')).toBe(false);

  fs.appendFileSync(path.join(dir, 'g0.pkl'), PAYLOAD.slice(4));
  const result = await done;
  expect(kernel.restoreArgs.map(a => a.steps.map((s: IRestoreCallStep) => s.kind))).toEqual([
    ['rerun'],
    ['load', 'rerun']
  ]);
  expect(kernel.restoreArgs[1].finish).toBeDefined();
  expect(Object.fromEntries(kernel.namespace)).toEqual({ a: 1, b: [1, 2], c: 3 });
  expect(result.loads).toEqual([{ index: 0, ok: true, error: null, importMs: 0, bytes: PAYLOAD.length }]);
  expect(result.verification).not.toBeNull();
  expect(messages).toEqual([
    're-running 0',
    'waiting for g0.pkl to arrive',
    'loading b',
    'verifying the restored variables',
    'continuing the recorded history in the restored kernel'
  ]);
});

test('a payload that stops arriving fails the wait, and so does a cancel', async () => {
  const arriving = new ArrivingPayloads(dir, new Map([['g0.pkl', 10]]), 50);
  fs.writeFileSync(path.join(dir, 'g0.pkl'), 'abc');
  await expect(arriving.wait(['g0.pkl'])).rejects.toThrow('g0.pkl stopped arriving: the source stopped sending');
  const cancel = new AbortController();
  cancel.abort();
  await expect(
    new ArrivingPayloads(dir, new Map([['g0.pkl', 10]]), 60_000).wait(['g0.pkl'], cancel.signal)
  ).rejects.toThrow('the restore was cancelled');
  // An unannounced file is neither complete nor counted as arriving.
  expect(arriving.complete('other.pkl')).toBe(false);
  expect(arriving.isAnnounced('other.pkl')).toBe(false);
});
