/**
 * Crash safety of the local store: a child process writes a checkpoint into a bundle that already
 * holds one, and is SIGKILLed (1) right before each of its file-system calls in turn, and (2) after
 * seeded random delays. After every kill the bundle must be the previous checkpoint or the new one,
 * complete (every payload present with its checksum), never anything in between; and the next
 * commit must clean up whatever the killed one left behind.
 */
import { ChildProcess, spawn } from 'child_process';
import { promises as fs } from 'fs';
import path from 'path';
import ts from 'typescript';
import { manifestFiles, newCheckpointId } from '../../src/bundle';
import { listCheckpoints, openStore } from '../../src/storage';
import { entries, fileChecksum, makeTemp, removeTemp, writeCheckpoint } from './helpers';

jest.setTimeout(300_000);

const SRC = path.resolve(__dirname, '..', '..', 'src');
const REPO = path.resolve(__dirname, '..', '..', '..');
const CHILD = path.join(__dirname, 'fixtures', 'commitChild.js');
/** Payloads big enough that the agent's writes take several chunks. */
const FILES = [
  { name: 'g0.pkl', size: 150_000 },
  { name: 'g1.pkl', size: 40_000 },
  { name: 'history.jsonl', size: 3000 },
  { name: 'random.pkl', size: 500 }
];
const CHUNK = 16_384;

let temp: string;
let lib: string;

/** Compile the bundle and storage sources for the child (it runs plain Node, no ts-jest). */
async function transpile(): Promise<string> {
  const out = path.join(temp, 'lib');
  // The folders the store is made of, and the top-level module it shares with the history store.
  const sources = ['durable.ts'];
  for (const folder of ['bundle', 'storage']) {
    await fs.mkdir(path.join(out, folder), { recursive: true });
    const names = (await fs.readdir(path.join(SRC, folder))).filter(name => name.endsWith('.ts'));
    sources.push(...names.map(name => path.join(folder, name)));
  }
  for (const file of sources) {
    const source = await fs.readFile(path.join(SRC, file), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true }
    });
    await fs.writeFile(path.join(out, file.replace(/\.ts$/, '.js')), outputText);
  }
  return out;
}

interface IChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Start the child writing checkpoint `checkpointId` into `bundle`; `started` resolves when it
 * begins to write (modules loaded, hooks installed).
 */
function startChild(
  bundle: string,
  checkpointId: string,
  killAt: number | null
): { child: ChildProcess; started: Promise<void>; done: Promise<IChildRun> } {
  const args = JSON.stringify({ lib, bundle, checkpointId, files: FILES, killAt, chunk: CHUNK });
  const child = spawn(process.execPath, [CHILD, args], {
    env: { ...process.env, NODE_PATH: path.join(REPO, 'node_modules') },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let stdout = '';
  let stderr = '';
  let onStart: () => void = () => undefined;
  const started = new Promise<void>(resolve => (onStart = resolve));
  child.stdout!.on('data', chunk => {
    stdout += chunk;
    if (stdout.startsWith('start\n')) {
      onStart();
    }
  });
  child.stderr!.on('data', chunk => (stderr += chunk));
  const done = new Promise<IChildRun>(resolve =>
    child.on('close', (code, signal) => {
      onStart();
      resolve({ code, signal, stdout, stderr });
    })
  );
  return { child, started, done };
}

/** The bundle is exactly one of `allowed` checkpoints, complete, and the only one listed. */
async function expectWholeBundle(bundle: string, allowed: string[]): Promise<string> {
  const manifest = await openStore(bundle).readManifest();
  expect(allowed).toContain(manifest.checkpointId);
  for (const { file, checksum } of manifestFiles(manifest)) {
    expect(await fileChecksum(path.join(bundle, file))).toBe(checksum);
  }
  const listed = await listCheckpoints(path.dirname(bundle));
  expect(listed.map(e => [e.uri, e.error])).toEqual([[bundle, null]]);
  return manifest.checkpointId;
}

/** Commit a fresh checkpoint from this process and check that nothing of the crashed one is left. */
async function recover(bundle: string): Promise<string> {
  const id = newCheckpointId();
  await writeCheckpoint(openStore(bundle, { staleAfterMs: 0 }), id);
  expect(await entries(bundle)).toEqual(['manifest.json', 'payloads']);
  expect(await entries(path.join(bundle, 'payloads'))).toEqual([id]);
  return id;
}

/** A small seeded generator (mulberry32), so that a failing run can be replayed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let bundle: string;
/** File-system calls of a whole uninterrupted checkpoint in the child. */
let totalOps = 0;
/** Wall-clock time of a whole checkpoint in the child, from its `start`. */
let workMs = 0;

beforeAll(async () => {
  temp = await makeTemp('crash');
  lib = await transpile();
  bundle = path.join(temp, 'root', 'bundle');
});

afterAll(async () => {
  await removeTemp(temp);
});

it('an uninterrupted child commits its checkpoint over the previous one', async () => {
  const previous = await recover(bundle);
  const id = newCheckpointId();
  const child = startChild(bundle, id, null);
  await child.started;
  const started = Date.now();
  const run = await child.done;
  workMs = Math.max(1, Date.now() - started);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  totalOps = Number(/ops (\d+)/.exec(run.stdout)?.[1]);
  expect(totalOps).toBeGreaterThan(20);
  expect(await expectWholeBundle(bundle, [previous, id])).toBe(id);
  expect(await entries(path.join(bundle, 'payloads'))).toEqual([id]);
});

it('killed right before each of its file-system calls, it leaves the old or the new bundle, whole', async () => {
  expect(totalOps).toBeGreaterThan(0);
  const outcomes = { old: 0, new: 0 };
  for (let killAt = 1; killAt <= totalOps; killAt++) {
    const previous = await recover(bundle);
    const id = newCheckpointId();
    const run = await startChild(bundle, id, killAt).done;
    expect([killAt, run.signal, run.stderr]).toEqual([killAt, 'SIGKILL', '']);
    const found = await expectWholeBundle(bundle, [previous, id]);
    outcomes[found === id ? 'new' : 'old'] += 1;
  }
  // Killed early the old bundle survives, killed after the rename the new one is there.
  expect(outcomes.old).toBeGreaterThan(0);
  expect(outcomes.new).toBeGreaterThan(0);
  await recover(bundle);
});

it('killed after seeded random delays, it leaves the old or the new bundle, whole', async () => {
  expect(workMs).toBeGreaterThan(0);
  const random = seeded(20261121);
  for (let i = 0; i < 40; i++) {
    const previous = await recover(bundle);
    const id = newCheckpointId();
    const { child, started, done } = startChild(bundle, id, null);
    await started;
    const delay = random() * workMs * 1.2;
    const timer = setTimeout(() => child.kill('SIGKILL'), delay);
    const run = await done;
    clearTimeout(timer);
    expect(run.stderr).toBe('');
    expect(run.signal === 'SIGKILL' || run.code === 0).toBe(true);
    await expectWholeBundle(bundle, [previous, id]);
  }
  await recover(bundle);
});
