import { KernelMessage, ServerConnection, SessionAPI, Kernel, KernelConnection } from '@jupyterlab/services';
import path from 'path';
import WebSocket from 'ws';
import { IJupyterServer } from './jupyterServer';

/** What running one cell produced. */
export interface ICellRun {
  status: 'ok' | 'error' | 'abort';
  /** `"ExcType: message"` when the cell raised. */
  error: string | null;
}

/** The first line the extension puts in front of every cell (see docs/internals.md section 2). */
export function interceptHeader(cellIndex: number, cellId: string | null): string {
  return `%%intercept --cell-index ${cellIndex}${cellId ? ` --cell-id ${cellId}` : ''}\n`;
}

/**
 * A notebook session on a Jupyter server: a fresh kernel whose working directory is the notebook's
 * folder, with the Elastic Notebook agent loaded, driven exactly as the JupyterLab extension drives
 * it.
 */
export class KernelSession {
  private constructor(
    private readonly server: IJupyterServer,
    private readonly settings: ServerConnection.ISettings,
    private readonly sessionId: string,
    readonly kernel: Kernel.IKernelConnection
  ) {
    kernel.statusChanged.connect((_, status) => {
      if (status === 'dead' || status === 'autorestarting' || status === 'restarting') {
        this.died = status;
        this.onDeath?.();
      }
    });
  }

  /** The id of the session's kernel. */
  get kernelId(): string {
    return this.kernel.id;
  }

  /**
   * Start a session for `notebookPath` (given relative to the server's root folder) and wait for
   * its kernel.
   */
  static async start(server: IJupyterServer, notebookPath: string, kernelName = 'python3'): Promise<KernelSession> {
    const settings = ServerConnection.makeSettings({
      baseUrl: server.baseUrl,
      wsUrl: server.baseUrl.replace(/^http/, 'ws'),
      token: server.token,
      appendToken: true,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      fetch,
      Request,
      Headers
    });
    const model = await SessionAPI.startSession(
      { path: notebookPath, name: path.basename(notebookPath), type: 'notebook', kernel: { name: kernelName } },
      settings
    );
    if (!model.kernel) {
      throw new Error('the server started a session without a kernel');
    }
    const kernel = new KernelConnection({ model: model.kernel, serverSettings: settings, handleComms: false });
    const session = new KernelSession(server, settings, model.id, kernel);
    await session.waitReady();
    return session;
  }

  /** Load the agent: fetch the bootstrap code for this kernel and run it silently. */
  async bootstrap(): Promise<void> {
    const url = new URL(`elastic-notebook/api/kernels/${this.kernel.id}/bootstrap`, this.server.baseUrl);
    const response = await fetch(url, { headers: { Authorization: `token ${this.server.token}` } });
    const body = (await response.json().catch(() => ({}))) as { code?: string; error?: string };
    if (!response.ok || typeof body.code !== 'string') {
      throw new Error(`could not get the agent bootstrap (${response.status}): ${body.error ?? 'no code'}`);
    }
    const reply = await this.execute(body.code, { silent: true, store_history: false });
    if (reply.status !== 'ok') {
      throw new Error(`loading the agent into the kernel failed: ${reply.error}`);
    }
  }

  /** Run one notebook cell under `%%intercept`, as the extension does. */
  async runCell(source: string, cellIndex: number, cellId: string | null): Promise<ICellRun> {
    return this.execute(interceptHeader(cellIndex, cellId) + source, { silent: false, store_history: true });
  }

  /** Evaluate a Python expression in the kernel without a trace in its history; returns text/plain. */
  async evaluate(expression: string): Promise<string> {
    const future = this.kernel.requestExecute({
      code: '',
      silent: true,
      store_history: false,
      user_expressions: { value: expression }
    });
    const reply = (await this.untilDeath(future.done)) as KernelMessage.IExecuteReplyMsg;
    const value = (reply.content as any).user_expressions?.value;
    if (!value || value.status !== 'ok') {
      throw new Error(`evaluating ${expression} failed: ${value?.ename ?? 'no result'} ${value?.evalue ?? ''}`);
    }
    return String(value.data['text/plain']);
  }

  /** Shut the session and its kernel down. */
  async shutdown(): Promise<void> {
    this.kernel.dispose();
    await SessionAPI.shutdownSession(this.sessionId, this.settings).catch(() => undefined);
  }

  /** Close our connection but leave the kernel running (for --keep-kernel). */
  detach(): void {
    this.kernel.dispose();
  }

  private async execute(
    code: string,
    options: { silent: boolean; store_history: boolean }
  ): Promise<ICellRun> {
    const future = this.kernel.requestExecute({ code, ...options, allow_stdin: false, stop_on_error: false });
    const reply = (await this.untilDeath(future.done)) as KernelMessage.IExecuteReplyMsg;
    const content = reply.content;
    if (content.status === 'error') {
      return { status: 'error', error: `${content.ename}: ${content.evalue}`.split('\n')[0] };
    }
    return { status: content.status === 'ok' ? 'ok' : 'abort', error: null };
  }

  private async waitReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.kernel.connectionStatus !== 'connected' || this.kernel.status === 'unknown' || this.kernel.status === 'starting') {
      if (this.died) {
        throw new Error(`the kernel died while starting (${this.died})`);
      }
      if (Date.now() > deadline) {
        throw new Error(`the kernel did not start within ${timeoutMs / 1000} s`);
      }
      await new Promise(resolve => setTimeout(resolve, 100));
    }
    await this.untilDeath(this.kernel.requestKernelInfo());
  }

  /** Wait for `promise`, failing at once with a clear message if the kernel dies meanwhile. */
  private untilDeath<T>(promise: Promise<T>): Promise<T> {
    if (this.died) {
      return Promise.reject(new Error(`the kernel died (${this.died})`));
    }
    return new Promise<T>((resolve, reject) => {
      this.onDeath = () => reject(new Error(`the kernel died while running (${this.died})`));
      promise.then(resolve, reject).finally(() => (this.onDeath = null));
    });
  }

  private died: string | null = null;
  private onDeath: (() => void) | null = null;
}
