import path from 'path';
import { performance } from 'perf_hooks';
import { CleanupStack } from './cleanup';
import { IJupyterServer, connectServer } from './jupyterServer';
import { KernelSession } from './kernelSession';
import { IKeptServer, LocalJupyterServer } from './localServer';
import { INotebookFile } from './notebook';
import { Progress } from './progress';
import { locateOnServer } from './serverPath';

/** Options every command that drives a kernel shares. */
export interface ISessionOptions {
  server?: string;
  token?: string;
  keepKernel?: boolean;
}

/** What every command gets from the CLI's entry point. */
export interface ICommandContext {
  cleanup: CleanupStack;
  progress: Progress;
}

/** A kernel left running by --keep-kernel (goes into the command's JSON). */
export interface IKeptKernel {
  kernelId: string;
  /** The kernel's connection file: `jupyter console --existing FILE` attaches. */
  connectionFile: string;
  /** The server the CLI started and left running for the kernel, if it started one. */
  server?: IKeptServer;
}

/** A server and a fresh kernel session for the notebook, with the agent loaded. */
export interface IOpenNotebook {
  server: IJupyterServer;
  session: KernelSession;
}

/** A Jupyter server for a command: the one given with --server, or a private one. */
export interface ICommandServer {
  server: IJupyterServer;
  /** The private server the CLI started (null with --server). */
  local: LocalJupyterServer | null;
  /** Hand a private server over to the user (--keep-kernel): it is no longer stopped at the end. */
  keep(): IKeptServer | undefined;
}

/**
 * Connect to the server given with --server, or start a private one rooted at `rootDir`; a
 * private server is registered with the cleanup stack (stopped on success, failure and Ctrl-C).
 */
export async function openServer(
  rootDir: string,
  options: ISessionOptions,
  { cleanup, progress }: ICommandContext
): Promise<ICommandServer> {
  if (options.server) {
    progress.step(`connecting to ${options.server}`);
    const server = await connectServer(options.server, options.token ?? '');
    return { server, local: null, keep: () => undefined };
  }
  progress.step('starting a Jupyter server');
  const launched = await LocalJupyterServer.launch(rootDir);
  // Registered before it is ready: Ctrl-C or a failure during start-up must not leave it behind.
  const forget = cleanup.add('stopping the Jupyter server', () => launched.stop());
  await launched.ready();
  return {
    server: launched,
    local: launched,
    keep: () => {
      forget();
      return launched.keep();
    }
  };
}

/** A kernel session with the agent loaded, shut down by the cleanup stack unless handed over. */
export interface IAgentKernel {
  session: KernelSession;
  /** Stop shutting it down at the end (--keep-kernel). */
  forget(): void;
  /** How long starting the kernel and loading the agent took, ms. */
  startMs: number;
  bootstrapMs: number;
}

/** Start a fresh kernel for the session path `notebookPath` on `server` and load the agent. */
export async function openAgentKernel(
  server: IJupyterServer,
  notebookPath: string,
  kernelName: string | null,
  { cleanup, progress }: ICommandContext
): Promise<IAgentKernel> {
  progress.step('starting a kernel');
  const t0 = performance.now();
  const session = await KernelSession.start(server, notebookPath, kernelName);
  const forget = cleanup.add('shutting the kernel down', () => session.shutdown());
  progress.step('loading the Elastic Notebook agent');
  const t1 = performance.now();
  await session.bootstrap();
  return { session, forget, startMs: t1 - t0, bootstrapMs: performance.now() - t1 };
}

/** Leave `kernel` (and a private server) running for the user; what goes into the JSON. */
export async function keepKernel(kernel: IAgentKernel, server: ICommandServer): Promise<IKeptKernel> {
  const kept: IKeptKernel = {
    kernelId: kernel.session.kernelId,
    connectionFile: await kernel.session.connectionFile()
  };
  kernel.forget();
  kernel.session.detach();
  const local = server.keep();
  if (local) {
    kept.server = local;
  }
  return kept;
}

/**
 * Run `body` with a Jupyter server (a private one unless `--server` is given) and a fresh kernel
 * session for `notebook`, agent loaded. Whatever is started is registered with the cleanup stack,
 * so it is stopped on success, failure and Ctrl-C alike; with --keep-kernel, after `body`
 * succeeds, the kernel (and a private server it runs on) is left running instead.
 */
export async function withNotebookSession<T>(
  notebook: INotebookFile,
  options: ISessionOptions,
  context: ICommandContext,
  body: (open: IOpenNotebook) => Promise<T>
): Promise<{ result: T; kept: IKeptKernel | null }> {
  const opened = await openServer(path.dirname(notebook.path), options, context);
  const notebookPath = opened.local ? path.basename(notebook.path) : await locateOnServer(opened.server, notebook);
  const kernel = await openAgentKernel(opened.server, notebookPath, notebook.kernelName, context);
  const result = await body({ server: opened.server, session: kernel.session });
  return { result, kept: options.keepKernel ? await keepKernel(kernel, opened) : null };
}
