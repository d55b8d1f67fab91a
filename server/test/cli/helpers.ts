/**
 * Test helpers for the CLI suites: run the real CLI as a child process, write notebooks, and run
 * a real Jupyter server with the Elastic Notebook extension.
 */
import { ChildProcess, execFile, spawn } from 'child_process';
import { randomBytes } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { freePort } from '../../src/cli/localServer';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const CLI_BIN = path.join(REPO, 'server', 'bin', 'elastic-notebook.js');
export const JUPYTER = process.env.ELASTIC_NOTEBOOK_JUPYTER ?? path.join(REPO, '.venv', 'bin', 'jupyter');
export const PYTHON = path.join(path.dirname(JUPYTER), 'python');

/** Fail early, with the fix, when the CLI has not been built. */
export function requireBuiltCli(): void {
  const main = path.join(REPO, 'server', 'lib', 'cli', 'main.js');
  if (!fs.existsSync(main)) {
    throw new Error(`${main} is missing: build it with \`npx tsc -p server\` (npm test does)`);
  }
}

/** What a CLI run produced. */
export interface ICliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running CLI child process. */
export interface ICliProcess {
  child: ChildProcess;
  done: Promise<ICliRun>;
}

/** Start `elastic-notebook ...args` (not a TTY, so no progress lines). */
export function startCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ICliProcess {
  const child = spawn(process.execPath, [CLI_BIN, ...args], {
    cwd: options.cwd ?? REPO,
    env: { ...process.env, ELASTIC_NOTEBOOK_JUPYTER: JUPYTER, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', chunk => (stdout += chunk));
  child.stderr!.on('data', chunk => (stderr += chunk));
  const done = new Promise<ICliRun>(resolve =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  );
  return { child, done };
}

/** Run `elastic-notebook ...args` to the end. */
export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ICliRun> {
  return startCli(args, options).done;
}

/** The single line a failed run must print on stderr, without its prefix. */
export function errorLine(run: ICliRun): string {
  const lines = run.stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^elastic-notebook: /);
  return lines[0].slice('elastic-notebook: '.length);
}

/** A fresh temporary folder. */
export function tempDir(prefix = 'en-cli-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A cell for {@link writeNotebook}: code by default, `{ markdown }` for a markdown cell. */
export type CellSpec = string | { markdown: string } | { code: string; id: string };

/** Write an nbformat 4.5 notebook with the given cells; returns its path. */
export function writeNotebook(file: string, cells: CellSpec[]): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    cells: cells.map((cell, i) =>
      typeof cell === 'object' && 'markdown' in cell
        ? { cell_type: 'markdown', id: `md-${i}`, metadata: {}, source: cell.markdown }
        : {
            cell_type: 'code',
            id: typeof cell === 'string' ? `cell-${i}` : cell.id,
            metadata: {},
            execution_count: null,
            outputs: [],
            // nbformat stores multi-line sources as a list of lines.
            source: (typeof cell === 'string' ? cell : cell.code).split(/(?<=\n)/)
          }
    )
  };
  fs.writeFileSync(file, JSON.stringify(nb, null, 1));
  return file;
}

export { freePort };

/** Pids of live `jupyter-server` processes whose command line mentions `text`. */
export function jupyterServersMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const state = fs.readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.[0];
      if (state !== 'Z' && cmdline.includes('jupyter-server') && cmdline.includes(text)) {
        pids.push(Number(entry));
      }
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** A real `jupyter server` for tests: loopback, random token, private runtime and data folders. */
export class TestJupyterServer {
  readonly token = randomBytes(16).toString('hex');
  private child: ChildProcess | null = null;
  port = 0;

  constructor(
    readonly rootDir: string,
    private readonly extraArgs: string[] = []
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  /** Start and wait until `probePath` answers 200 (or, without the extension, api/status). */
  async start(probePath = 'elastic-notebook/api/health', timeoutMs = 90_000): Promise<this> {
    this.port = await freePort();
    const state = tempDir('en-cli-server-');
    const log = fs.openSync(path.join(state, 'server.log'), 'a');
    this.child = spawn(
      JUPYTER,
      [
        'server',
        '--ip=127.0.0.1',
        `--port=${this.port}`,
        '--no-browser',
        '--allow-root',
        `--IdentityProvider.token=${this.token}`,
        `--ServerApp.root_dir=${this.rootDir}`,
        `--ElasticNotebookApp.data_dir=${path.join(state, 'data')}`,
        ...this.extraArgs
      ],
      { env: { ...process.env, JUPYTER_RUNTIME_DIR: path.join(state, 'runtime') }, stdio: ['ignore', log, log] }
    );
    fs.closeSync(log);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) {
        throw new Error(
          `jupyter server exited: ${fs.readFileSync(path.join(state, 'server.log'), 'utf8').slice(-2000)}`
        );
      }
      const status = await this.get(probePath).then(
        r => r.status,
        () => 0
      );
      if (status === 200) {
        return this;
      }
      await new Promise(resolve => setTimeout(resolve, 250));
    }
    throw new Error('jupyter server did not become ready');
  }

  /** An authenticated GET to the server's API. */
  get(apiPath: string): Promise<Response> {
    return fetch(new URL(apiPath, this.url), { headers: { Authorization: `token ${this.token}` } });
  }

  /** An authenticated DELETE. */
  delete(apiPath: string): Promise<Response> {
    return fetch(new URL(apiPath, this.url), { method: 'DELETE', headers: { Authorization: `token ${this.token}` } });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const gone = new Promise(resolve => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(timer);
    }
  }
}

/** A Jupyter server shared by the tests of one `describe` block, with its root folder. */
export interface ISharedServer {
  readonly server: TestJupyterServer;
  readonly root: string;
  /** `--server URL --token TOKEN` for the CLI. */
  args(): string[];
  /** Shut down every session (and its kernel) left on the server. */
  deleteSessions(): Promise<void>;
}

/**
 * Start one Jupyter server (with the extension) for the enclosing `describe` block: started in
 * `beforeAll`, stopped and its root folder removed in `afterAll`.
 */
export function sharedTestServer(): ISharedServer {
  let server: TestJupyterServer | undefined;
  let root = '';
  beforeAll(async () => {
    root = tempDir('en-cli-root-');
    server = await new TestJupyterServer(root).start();
  });
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });
  return {
    get server() {
      if (!server) {
        throw new Error('the shared Jupyter server is not started (use it inside tests)');
      }
      return server;
    },
    get root() {
      return root;
    },
    args: () => ['--server', server!.url, '--token', server!.token],
    deleteSessions: async () => {
      const sessions = (await server!.get('api/sessions').then(r => r.json())) as Array<{ id: string }>;
      for (const session of sessions) {
        await server!.delete(`api/sessions/${session.id}`);
      }
    }
  };
}

/** Ask a kernel, through its connection file only, for the repr of `expression`. */
export function askKernel(connectionFile: string, expression: string): Promise<string> {
  const script = [
    'import sys',
    'from jupyter_client import BlockingKernelClient',
    'c = BlockingKernelClient(connection_file=sys.argv[1]); c.load_connection_file(); c.start_channels()',
    'c.wait_for_ready(30)',
    'r = c.execute_interactive("", user_expressions={"v": sys.argv[2]}, timeout=30)',
    'print(r["content"]["user_expressions"]["v"]["data"]["text/plain"])'
  ].join('\n');
  return new Promise((resolve, reject) =>
    execFile(PYTHON, ['-c', script, connectionFile, expression], { timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout.trim())
    )
  );
}
