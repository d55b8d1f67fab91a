import { ChildProcess, spawn } from 'child_process';
import { randomBytes } from 'crypto';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';

/** A Jupyter server the CLI talks to: one it started itself, or one given with --server. */
export interface IJupyterServer {
  baseUrl: string;
  token: string;
  /** Stop the server if the CLI started it; a no-op for a server given with --server. */
  stop(): Promise<void>;
  /** Let the CLI exit while a server it started keeps running (for --keep-kernel). */
  release(): void;
  /** Process id of a server the CLI started. */
  pid?: number;
}

/** Find the `jupyter` executable: $ELASTIC_NOTEBOOK_JUPYTER, the project's venv, or PATH. */
export function findJupyter(): string {
  if (process.env.ELASTIC_NOTEBOOK_JUPYTER) {
    return process.env.ELASTIC_NOTEBOOK_JUPYTER;
  }
  const venv = path.resolve(__dirname, '..', '..', '..', '.venv', 'bin', 'jupyter');
  return fs.existsSync(venv) ? venv : 'jupyter';
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const port = (probe.address() as net.AddressInfo).port;
      probe.close(() => resolve(port));
    });
  });
}

/** GET a URL with the token; resolves with the status code, or 0 if nothing answered. */
async function statusOf(url: string, token: string): Promise<number> {
  try {
    const response = await fetch(url, { headers: { Authorization: `token ${token}` } });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

/**
 * Check that a server answers, accepts the token and has the Elastic Notebook extension, with a
 * specific error for each of those failures.
 */
export async function checkServer(baseUrl: string, token: string): Promise<void> {
  const api = await statusOf(new URL('api/status', baseUrl).href, token);
  if (api === 0) {
    throw new Error(`no Jupyter server answers at ${baseUrl}`);
  }
  if (api === 403 || api === 401) {
    throw new Error(`the Jupyter server at ${baseUrl} rejected the token`);
  }
  if (api !== 200) {
    throw new Error(`${baseUrl} does not look like a Jupyter server (GET api/status gave ${api})`);
  }
  const ext = await statusOf(new URL('elastic-notebook/api/health', baseUrl).href, token);
  if (ext === 404) {
    throw new Error(`the Jupyter server at ${baseUrl} does not have the Elastic Notebook extension enabled`);
  }
  if (ext !== 200) {
    throw new Error(`the Elastic Notebook extension at ${baseUrl} is not ready (health check gave ${ext})`);
  }
}

/** Connect to a running server given with --server/--token. */
export async function connectServer(url: string, token: string): Promise<IJupyterServer> {
  const baseUrl = url.endsWith('/') ? url : `${url}/`;
  await checkServer(baseUrl, token);
  return { baseUrl, token, stop: async () => undefined, release: () => undefined };
}

/**
 * Start a private `jupyter server` on a free loopback port with a random token, rooted at
 * `rootDir`, and wait until its extension answers.
 */
export async function startServer(rootDir: string, timeoutMs = 90_000): Promise<IJupyterServer> {
  const port = await freePort();
  const token = randomBytes(24).toString('hex');
  const runtimeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elastic-notebook-runtime-'));
  const args = [
    'server',
    `--port=${port}`,
    '--ip=127.0.0.1',
    '--no-browser',
    '--allow-root',
    '--ServerApp.port_retries=0',
    `--ServerApp.token=${token}`,
    `--ServerApp.root_dir=${rootDir}`
  ];
  // The log goes to a file, not a pipe, so that a server kept for --keep-kernel outlives us.
  const logFile = path.join(runtimeDir, 'jupyter-server.log');
  const logFd = fs.openSync(logFile, 'a');
  const child: ChildProcess = spawn(findJupyter(), args, {
    env: { ...process.env, JUPYTER_RUNTIME_DIR: runtimeDir },
    stdio: ['ignore', logFd, logFd],
    detached: true
  });
  fs.closeSync(logFd);
  const output = () => fs.readFileSync(logFile, 'utf8').slice(-4000);
  let exited: string | null = null;
  child.on('error', err => (exited = `could not start ${findJupyter()}: ${err.message}`));
  child.on('exit', code => (exited ??= `jupyter server exited with code ${code}`));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise(resolve => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    }
    fs.rmSync(runtimeDir, { recursive: true, force: true });
  };
  const baseUrl = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer';
  while (Date.now() < deadline) {
    if (exited) {
      await stop();
      throw new Error(`${exited}: ${lastLine(output())}`);
    }
    try {
      await checkServer(baseUrl, token);
      return { baseUrl, token, stop, release: () => child.unref(), pid: child.pid };
    } catch (err) {
      lastError = (err as Error).message;
    }
    await new Promise(resolve => setTimeout(resolve, 250));
  }
  await stop();
  throw new Error(`jupyter server did not become ready in ${timeoutMs / 1000} s (${lastError})`);
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}
