import {
  Kernel,
  KernelConnection,
  KernelMessage,
  KernelSpecAPI,
  ServerConnection,
  SessionAPI
} from '@jupyterlab/services';
import { randomBytes } from 'crypto';
import path from 'path';
import WebSocket from 'ws';
import { CliError, oneLine } from './cliError';
import { IJupyterServer, callServer, errorText } from './jupyterServer';
import { interceptHeader } from '@elastic-notebook/protocol';
import { INotebookCodeCell } from './notebook';

/** How one execute request ended. */
export interface IExecution {
  status: 'ok' | 'error' | 'aborted';
  /** `"ExcType: message"` (first line) when the code raised, else null. */
  error: string | null;
}

/** Server settings for @jupyterlab/services in Node: the `ws` WebSocket and the global fetch. */
function serverSettings(server: IJupyterServer): ServerConnection.ISettings {
  return ServerConnection.makeSettings({
    baseUrl: server.baseUrl,
    wsUrl: server.baseUrl.replace(/^http/, 'ws'),
    token: server.token,
    appendToken: true,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    fetch,
    Request,
    Headers
  });
}

/**
 * The kernel to start: the notebook's own kernelspec if the server has it (as JupyterLab does),
 * else the server's default.
 */
async function chooseKernel(settings: ServerConnection.ISettings, wanted: string | null): Promise<string> {
  const specs = await KernelSpecAPI.getSpecs(settings);
  if (wanted && specs.kernelspecs[wanted]) {
    return wanted;
  }
  if (!specs.default || !specs.kernelspecs[specs.default]) {
    throw new CliError(
      `the Jupyter server has no kernel ${wanted ? `named ${wanted} and no default kernel` : 'to start'}`
    );
  }
  return specs.default;
}

/**
 * The session path for a fresh kernel: the notebook's own path, unless a session already uses it
 * (the notebook is open in JupyterLab): the server would then hand back that session and its
 * kernel, and the CLI would run every cell in the user's live kernel. A sibling path keeps the
 * kernel's working directory (the notebook's folder) and gets a kernel of its own.
 */
async function freeSessionPath(settings: ServerConnection.ISettings, notebookPath: string): Promise<string> {
  const sessions = await SessionAPI.listRunning(settings);
  if (!sessions.some(session => session.path === notebookPath)) {
    return notebookPath;
  }
  const { dir, name, ext } = path.posix.parse(notebookPath);
  return path.posix.join(dir, `${name}.elastic-notebook-${randomBytes(4).toString('hex')}${ext}`);
}

/**
 * One notebook session on a Jupyter server with a fresh kernel, driven the way the JupyterLab
 * extension drives it: agent bootstrap, then each cell behind the `%%intercept` header.
 *
 * Every wait also watches for the kernel dying, the connection dropping and the server going
 * away, so a command fails at once with the reason instead of hanging.
 */
export class KernelSession {
  private failure: string | null = null;
  private readonly failed: Promise<never>;

  private constructor(
    private readonly server: IJupyterServer,
    private readonly settings: ServerConnection.ISettings,
    private readonly sessionId: string,
    readonly kernel: Kernel.IKernelConnection
  ) {
    this.failed = new Promise<never>((_, reject) => {
      const fail = (reason: string) => {
        if (!this.failure) {
          this.failure = reason;
          reject(new CliError(reason));
        }
      };
      kernel.statusChanged.connect((_, status) => {
        if (status === 'dead' || status === 'autorestarting' || status === 'restarting') {
          fail(`the kernel died${this.activity ? ` while ${this.activity}` : ''}`);
        }
      });
      kernel.connectionStatusChanged.connect((_, status) => {
        if (status === 'disconnected') {
          fail(`lost the connection to the kernel${this.activity ? ` while ${this.activity}` : ''}`);
        }
      });
      void server.lost.then(reason => fail(reason));
    });
    this.failed.catch(() => undefined); // observed by whoever waits; never an unhandled rejection
  }

  /** What the session is doing, for error messages ("running cell 3"). */
  private activity = 'starting the kernel';

  /** The id of the session's kernel. */
  get kernelId(): string {
    return this.kernel.id;
  }

  /**
   * Start a session for the notebook at `notebookPath` (relative to the server's root, so the
   * kernel's working directory is the notebook's folder) and wait until its kernel answers.
   */
  static async start(
    server: IJupyterServer,
    notebookPath: string,
    kernelName: string | null,
    timeoutMs = 120_000
  ): Promise<KernelSession> {
    const settings = serverSettings(server);
    let model;
    try {
      const name = await chooseKernel(settings, kernelName);
      const sessionPath = await freeSessionPath(settings, notebookPath);
      model = await SessionAPI.startSession(
        { path: sessionPath, name: path.posix.basename(notebookPath), type: 'notebook', kernel: { name } },
        settings
      );
    } catch (err) {
      throw err instanceof CliError ? err : new CliError(`could not start a kernel: ${oneLine(err)}`);
    }
    if (!model.kernel) {
      throw new CliError('the Jupyter server started a session without a kernel');
    }
    const kernel = new KernelConnection({ model: model.kernel, serverSettings: settings, handleComms: false });
    const session = new KernelSession(server, settings, model.id, kernel);
    try {
      const answered = session.connected().then(() => kernel.requestKernelInfo());
      await session.guard(answered, timeoutMs, `the kernel did not answer within ${timeoutMs / 1000} s`);
    } catch (err) {
      await session.shutdown();
      throw err;
    }
    session.activity = '';
    return session;
  }

  /** Resolves once the kernel's websocket is connected (kernel_info needs it). */
  private connected(): Promise<void> {
    return new Promise(resolve => {
      const check = () => {
        if (this.kernel.connectionStatus === 'connected') {
          this.kernel.connectionStatusChanged.disconnect(check);
          resolve();
        }
      };
      this.kernel.connectionStatusChanged.connect(check);
      check();
    });
  }

  /** Load the agent: fetch this kernel's bootstrap code from the extension and run it silently. */
  async bootstrap(): Promise<void> {
    const response = await callServer(this.server, `elastic-notebook/api/kernels/${this.kernelId}/bootstrap`);
    if (!response.ok) {
      throw new CliError(`could not get the agent bootstrap code: ${await errorText(response)}`);
    }
    const body = (await response.json().catch(() => null)) as { code?: unknown } | null;
    if (typeof body?.code !== 'string') {
      throw new CliError('the bootstrap route answered without code');
    }
    this.activity = 'loading the agent';
    const result = await this.execute(body.code, { silent: true, store_history: false });
    this.activity = '';
    if (result.status !== 'ok') {
      throw new CliError(`loading the agent into the kernel failed: ${result.error ?? result.status}`);
    }
  }

  /**
   * Run one notebook cell behind the `%%intercept` header, visibly and stored in history, as the
   * extension does. A cell that raises resolves with its error; a cell still running after
   * `timeoutMs` is interrupted and fails the command.
   */
  async runCell(cell: INotebookCodeCell, timeoutMs?: number): Promise<IExecution> {
    this.activity = `running cell ${cell.cellIndex}`;
    const code = interceptHeader(cell.cellIndex, cell.cellId) + cell.source;
    const result = await this.execute(code, { silent: false, store_history: true }, timeoutMs);
    this.activity = '';
    return result;
  }

  /**
   * Evaluate a Python expression in the kernel as a `user_expressions` entry of a silent, empty
   * execute request: no history entry, no execution count, no recording. Returns its text/plain.
   * `timeoutMs` 0 waits as long as it takes; `label` names the expression in errors.
   */
  async evaluate(expression: string, timeoutMs = 30_000, label = expression): Promise<string> {
    // No stdin: an agent call that replays cells must meet `input()` as a silent run does.
    const future = this.kernel.requestExecute({
      code: '',
      silent: true,
      store_history: false,
      user_expressions: { value: expression },
      allow_stdin: false,
      stop_on_error: false
    });
    const reply = (await this.guard(
      future.done,
      timeoutMs,
      `evaluating ${label} timed out`
    )) as KernelMessage.IExecuteReplyMsg;
    const value = (reply.content as { user_expressions?: Record<string, any> }).user_expressions?.value;
    if (!value || value.status !== 'ok') {
      throw new CliError(
        `evaluating ${label} in the kernel failed: ${value?.ename ?? 'no result'} ${value?.evalue ?? ''}`.trim()
      );
    }
    return String(value.data?.['text/plain'] ?? '');
  }

  /**
   * Run code as a top-level cell, silently and outside history, so the agent does not record it
   * (a restore's re-runs). Resolves with the error summary when it raises, else null.
   */
  async runSilently(code: string, activity = 'running code'): Promise<string | null> {
    this.activity = activity;
    const result = await this.execute(code, { silent: true, store_history: false });
    this.activity = '';
    return result.status === 'error' ? result.error : result.status === 'aborted' ? 'aborted' : null;
  }

  /** The path of the kernel's connection file, as the kernel itself knows it. */
  async connectionFile(): Promise<string> {
    // As a list of UTF-8 byte values, the repr is JSON: no Python string quoting to undo.
    const bytes = JSON.parse(
      await this.evaluate("list(__import__('ipykernel.connect').connect.get_connection_file().encode())")
    ) as number[];
    return Buffer.from(bytes).toString('utf8');
  }

  /** Close our connection and shut the session and its kernel down. */
  async shutdown(timeoutMs = 20_000): Promise<void> {
    this.kernel.dispose();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await SessionAPI.shutdownSession(this.sessionId, this.settings);
        return;
      } catch (err) {
        const status = (err as { response?: Response }).response?.status;
        if (status === 404) {
          return; // Already gone (the server culled it, or someone else shut it down).
        }
        // jupyter_client cannot shut a kernel down while it auto-restarts after dying (it
        // answers 500); the restart takes a moment, so try again until it is done.
        if (Date.now() > deadline) {
          throw new CliError(`could not shut the kernel down: ${oneLine(err)}`);
        }
        await new Promise(resolve => setTimeout(resolve, 500));
      }
    }
  }

  /** Close our connection but leave the kernel running (for --keep-kernel). */
  detach(): void {
    this.kernel.dispose();
  }

  private async execute(
    code: string,
    options: { silent: boolean; store_history: boolean },
    timeoutMs?: number
  ): Promise<IExecution> {
    // One request at a time, so there is never a queue for stop_on_error to abort; false avoids
    // ipykernel briefly aborting the *next* request after a cell that raised.
    const future = this.kernel.requestExecute({ code, ...options, allow_stdin: false, stop_on_error: false });
    const seconds = timeoutMs ? timeoutMs / 1000 : 0;
    let reply: KernelMessage.IExecuteReplyMsg;
    try {
      reply = (await this.guard(
        future.done,
        timeoutMs,
        `${this.activity} took longer than ${seconds} s (--timeout)`
      )) as KernelMessage.IExecuteReplyMsg;
    } catch (err) {
      if (!this.failure) {
        // Timed out: stop the cell so that a kept or reused kernel is not left busy.
        await this.kernel.interrupt().catch(() => undefined);
      }
      throw err;
    }
    const content = reply.content;
    if (content.status === 'error') {
      return { status: 'error', error: oneLine(`${content.ename}: ${content.evalue}`) };
    }
    return { status: content.status === 'ok' ? 'ok' : 'aborted', error: null };
  }

  /** Wait for `promise`, failing with the reason if the kernel, connection or server is lost first. */
  private guard<T>(promise: Promise<T>, timeoutMs: number | undefined, timeoutMessage: string): Promise<T> {
    const waits: Array<Promise<T>> = [promise, this.failed];
    let timer: NodeJS.Timeout | undefined;
    if (timeoutMs) {
      waits.push(
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new CliError(timeoutMessage)), timeoutMs)))
      );
    }
    return Promise.race(waits).finally(() => clearTimeout(timer));
  }
}
