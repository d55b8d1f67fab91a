/** The companion as a real process: listening line, loopback only, SIGKILL and restart lose nothing. */
import { ChildProcess, execFileSync, spawn } from 'child_process';
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

beforeAll(() => {
  if (!fs.existsSync(MAIN)) {
    execFileSync(path.join(SERVER, '..', 'node_modules', '.bin', 'tsc'), ['-p', SERVER]);
  }
});

async function startCompanion(dataDir: string, port = 0): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, ELASTIC_NOTEBOOK_SECRET: SECRET, ELASTIC_NOTEBOOK_PORT: String(port), ELASTIC_NOTEBOOK_DATA_DIR: dataDir },
    stdio: ['pipe', 'pipe', 'inherit']
  });
  const line = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', code => reject(new Error(`companion exited with ${code}`)));
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

test('acknowledged records survive SIGKILL; the restarted process serves them on the same port', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elastic-process-'));
  const steps = records([[[], ['a']], [['a'], ['b']], [['b'], ['c']]]);
  const first = await startCompanion(dataDir);
  const acked = await postRecords(first.port, 'k', { runId: 'r', records: steps });
  expect(await acked.json()).toEqual({ nextSeq: 3 });
  first.child.kill('SIGKILL');
  await new Promise(resolve => first.child.once('exit', resolve));

  const second = await startCompanion(dataDir, first.port);
  expect(second.port).toBe(first.port);
  const graph = await (
    await fetch(`http://127.0.0.1:${second.port}/api/kernels/k/graph`, { headers: { 'X-Elastic-Notebook-Secret': SECRET } })
  ).json();
  expect(graph.executions.map((e: any) => e.writes)).toEqual([['a'], ['b'], ['c']]);
  // SIGTERM stops it cleanly.
  second.child.kill('SIGTERM');
  expect(await new Promise(resolve => second.child.once('exit', resolve))).toBe(0);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('it refuses to start without a secret', () => {
  expect(() =>
    execFileSync(process.execPath, [MAIN], { env: { ...process.env, ELASTIC_NOTEBOOK_SECRET: '' }, stdio: 'pipe' })
  ).toThrow(/ELASTIC_NOTEBOOK_SECRET is not set/);
});

test('it exits when stdin closes if asked to (it dies with the Jupyter server)', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elastic-process-'));
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, ELASTIC_NOTEBOOK_SECRET: SECRET, ELASTIC_NOTEBOOK_DATA_DIR: dataDir, ELASTIC_NOTEBOOK_EXIT_ON_STDIN_CLOSE: '1' },
    stdio: ['pipe', 'pipe', 'inherit']
  });
  await new Promise(resolve => readline.createInterface({ input: child.stdout! }).once('line', resolve));
  child.stdin!.end();
  expect(await new Promise(resolve => child.once('exit', resolve))).toBe(0);
  fs.rmSync(dataDir, { recursive: true, force: true });
});
