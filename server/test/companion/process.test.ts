/** The companion as a real process: listening line, loopback only, SIGKILL and restart lose nothing. */
import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import readline from 'readline';
import { ingestToken } from '../../src/auth';
import { records } from './records';

const SERVER = path.resolve(__dirname, '..', '..');
const MAIN = path.join(SERVER, 'lib', 'main.js');
const SECRET = 's3cret';

jest.setTimeout(60_000);

/** Newest modification time of the TypeScript sources. */
function newestSource(dir: string): number {
  return Math.max(
    0,
    ...fs.readdirSync(dir, { withFileTypes: true }).map(entry => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? newestSource(full) : entry.name.endsWith('.ts') ? fs.statSync(full).mtimeMs : 0;
    })
  );
}

beforeAll(() => {
  const stale = () => !fs.existsSync(MAIN) || fs.statSync(MAIN).mtimeMs < newestSource(path.join(SERVER, 'src'));
  if (stale()) {
    try {
      execFileSync(path.join(SERVER, '..', 'node_modules', '.bin', 'tsc'), ['-p', SERVER], { stdio: 'pipe' });
    } catch (err) {
      // tsc still emits on type errors elsewhere in the workspace; only a missing build is fatal here.
      if (stale()) {
        throw new Error(`cannot build ${MAIN}: ${(err as { stdout?: Buffer }).stdout?.toString() ?? err}`);
      }
    }
  }
});

async function startCompanion(dataDir: string, port = 0): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      ELASTIC_NOTEBOOK_SECRET: SECRET,
      ELASTIC_NOTEBOOK_PORT: String(port),
      ELASTIC_NOTEBOOK_DATA_DIR: dataDir
    },
    stdio: ['pipe', 'pipe', 'pipe']
  });
  let log = '';
  child.stderr!.on('data', chunk => (log += chunk));
  const line = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', code => reject(new Error(`companion exited with ${code}: ${log}`)));
  });
  const event = JSON.parse(line);
  expect(event).toEqual({ event: 'listening', port: expect.any(Number), pid: child.pid });
  return { child, port: event.port };
}

const postRecords = (port: number, kernel: string, body: unknown) =>
  fetch(`http://127.0.0.1:${port}/api/kernels/${kernel}/records`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${ingestToken(SECRET, kernel)}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body)
  });

test('acknowledged records survive SIGKILL mid-stream; the restarted process serves them on the same port', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elastic-process-'));
  const steps = records(
    Array.from({ length: 200 }, (_, i) => [i > 0 ? [`v${i - 1}`] : [], [`v${i}`]] as [string[], string[]])
  );
  const first = await startCompanion(dataDir);
  // Post one record at a time, like a busy kernel, and kill the process while posts are in flight.
  let acked = 0;
  const stream = (async () => {
    for (const step of steps) {
      const response = await postRecords(first.port, 'k', { runId: 'r', records: [step] });
      acked = (await response.json()).nextSeq;
    }
  })().catch(() => undefined); // the connection dies with the process
  while (acked < 20) {
    await new Promise(resolve => setTimeout(resolve, 5));
  }
  first.child.kill('SIGKILL');
  await new Promise(resolve => first.child.once('exit', resolve));
  await stream;
  expect(acked).toBeGreaterThanOrEqual(20);
  expect(acked).toBeLessThan(steps.length); // it really died mid-stream

  const second = await startCompanion(dataDir, first.port);
  expect(second.port).toBe(first.port);
  const headers = { 'X-Elastic-Notebook-Secret': SECRET };
  const { nextSeq } = await (
    await fetch(`http://127.0.0.1:${second.port}/api/kernels/k/sync?runId=r`, { headers })
  ).json();
  expect(nextSeq).toBeGreaterThanOrEqual(acked);
  // The agent resends from nextSeq; then the whole history is there, in order.
  const rest = await postRecords(second.port, 'k', { runId: 'r', records: steps.slice(nextSeq) });
  expect(await rest.json()).toEqual({ nextSeq: steps.length });
  const graph = await (await fetch(`http://127.0.0.1:${second.port}/api/kernels/k/graph`, { headers })).json();
  expect(graph.executions.map((e: any) => e.writes[0])).toEqual(steps.map(s => s.writes[0]));
  // SIGTERM stops it cleanly.
  second.child.kill('SIGTERM');
  expect(await new Promise(resolve => second.child.once('exit', resolve))).toBe(0);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('it refuses to start without a secret or with a bad port', () => {
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, [MAIN], {
      env: { ...process.env, ELASTIC_NOTEBOOK_SECRET: SECRET, ...env },
      encoding: 'utf8'
    });
  const noSecret = run({ ELASTIC_NOTEBOOK_SECRET: '' });
  expect([noSecret.status, noSecret.stdout, noSecret.stderr]).toEqual([
    2,
    '',
    'elastic-notebook companion: ELASTIC_NOTEBOOK_SECRET is not set\n'
  ]);
  const badPort = run({ ELASTIC_NOTEBOOK_PORT: '80a' });
  expect([badPort.status, badPort.stderr]).toEqual([
    2,
    'elastic-notebook companion: ELASTIC_NOTEBOOK_PORT must be 0-65535, got "80a"\n'
  ]);
});

test('it exits when stdin closes if asked to (it dies with the Jupyter server)', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elastic-process-'));
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      ELASTIC_NOTEBOOK_SECRET: SECRET,
      ELASTIC_NOTEBOOK_DATA_DIR: dataDir,
      ELASTIC_NOTEBOOK_EXIT_ON_STDIN_CLOSE: '1'
    },
    stdio: ['pipe', 'pipe', 'ignore']
  });
  await new Promise(resolve => readline.createInterface({ input: child.stdout! }).once('line', resolve));
  child.stdin!.end();
  expect(await new Promise(resolve => child.once('exit', resolve))).toBe(0);
  fs.rmSync(dataDir, { recursive: true, force: true });
});
