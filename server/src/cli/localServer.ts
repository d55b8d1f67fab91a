import { ChildProcess, spawn } from 'child_process';
import { randomBytes } from 'crypto';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { CliError } from './cliError';
import { IJupyterServer, ServerProblem, checkServer } from './jupyterServer';

/** What is left running by {@link LocalJupyterServer.keep}. */
export interface IKeptServer {
  url: string;
  token: string;
  pid: number;
  logFile: string;
}

/**
 * The `jupyter` executable: `$ELASTIC_NOTEBOOK_JUPYTER`, else the repository's `.venv`, else
 * `jupyter` on PATH.
 */
export function findJupyter(): string {
  if (process.env.ELASTIC_NOTEBOOK_JUPYTER) {
    return process.env.ELASTIC_NOTEBOOK_JUPYTER;
  }
  // This file is server/lib/cli/localServer.js once built; the repository root is three up.
  const venv = path.resolve(__dirname, '..', '..', '..', '.venv', 'bin', 'jupyter');
  return fs.existsSync(venv) ? venv : 'jupyter';
}

/** A free TCP port on the loopback interface (nothing listens on it once this resolves). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** The last non-empty line of a log file, to explain why a server did not start. */
function lastLogLine(file: string): string {
  try {
    const lines = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .map(line => line.trim())
      .filter(Boolean);
    return lines[lines.length - 1] ?? 'no output';
  } catch {
    return 'no output';
  }
}

/**
 * A private `jupyter server` the CLI starts for one command: loopback only, a free port, a random
 * token, its own runtime folder, rooted at the notebook's folder.
 */
export class LocalJupyterServer implements IJupyterServer {
  readonly lost: Promise<string>;

  private constructor(
    readonly baseUrl: string,
    readonly token: string,
    private readonly child: ChildProcess,
    private readonly runtimeDir: string,
    private readonly logFile: string
  ) {
    // Last resort should the CLI crash: never leave the server running unless kept.
    process.on('exit', this.killNow);
    this.lost = new Promise(resolve => {
      child.once('exit', (code, signal) =>
        resolve(`the Jupyter server exited (${signal ?? `code ${code}`}): ${lastLogLine(logFile)}`)
      );
      // Spawning failed (no such executable): there will be no 'exit'.
      child.once('error', err => resolve(`the Jupyter server could not be started: ${err.message}`));
    });
  }

  /**
   * Start a server rooted at `rootDir` without waiting for it: the caller can register
   * {@link stop} for cleanup at once, then wait with {@link ready}.
   */
  static async launch(rootDir: string): Promise<LocalJupyterServer> {
    const port = await freePort();
    const token = randomBytes(24).toString('hex');
    const runtimeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elastic-notebook-'));
    // The log goes to a file, not a pipe, so that a server kept for --keep-kernel can outlive us.
    const logFile = path.join(runtimeDir, 'jupyter-server.log');
    const logFd = fs.openSync(logFile, 'a');
    const child = spawn(
      findJupyter(),
      [
        'server',
        '--ip=127.0.0.1',
        `--port=${port}`,
        '--ServerApp.port_retries=0',
        `--IdentityProvider.token=${token}`,
        `--ServerApp.root_dir=${rootDir}`,
        '--no-browser',
        '--allow-root'
      ],
      {
        env: { ...process.env, JUPYTER_RUNTIME_DIR: runtimeDir },
        stdio: ['ignore', logFd, logFd],
        // Its own process group: Ctrl-C in the terminal reaches only the CLI, which then stops
        // the server in order (kernels first) instead of racing it.
        detached: true
      }
    );
    fs.closeSync(logFd);
    return new LocalJupyterServer(`http://127.0.0.1:${port}/`, token, child, runtimeDir, logFile);
  }

  /** Wait until the server and its Elastic Notebook extension answer. */
  async ready(timeoutMs = 120_000): Promise<void> {
    let exited: string | null = null;
    const lost = this.lost.then(reason => (exited = reason));
    await Promise.race([this.waitUntilReady(timeoutMs, () => exited), lost]);
    if (exited) {
      throw new CliError(`${exited} (${findJupyter()})`);
    }
  }

  /** Stop the server (SIGTERM, so it shuts its kernels down; SIGKILL after 10 s) and delete its runtime folder. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child.pid && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise(resolve => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    }
    process.off('exit', this.killNow);
    fs.rmSync(this.runtimeDir, { recursive: true, force: true });
  }

  /** Leave the server running after the CLI exits (for --keep-kernel) and say how to reach it. */
  keep(): IKeptServer {
    process.off('exit', this.killNow);
    this.child.unref();
    return { url: this.baseUrl, token: this.token, pid: this.child.pid ?? 0, logFile: this.logFile };
  }

  private readonly killNow = () => {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
    }
  };

  private async waitUntilReady(timeoutMs: number, exited: () => string | null): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer';
    while (!exited()) {
      try {
        await checkServer(this);
        return;
      } catch (err) {
        if (!(err instanceof ServerProblem) || !err.transient) {
          throw err;
        }
        last = err.message;
      }
      if (Date.now() > deadline) {
        throw new CliError(`the Jupyter server did not become ready within ${timeoutMs / 1000} s (${last})`);
      }
      await new Promise(resolve => setTimeout(resolve, 200));
    }
  }
}
