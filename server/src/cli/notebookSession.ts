import path from 'path';
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

/**
 * Run `body` with a Jupyter server (a private one unless `--server` is given) and a fresh kernel
 * session for `notebook`, agent loaded. Whatever is started is registered with the cleanup stack,
 * so it is stopped on success, failure and Ctrl-C alike; with --keep-kernel, after `body`
 * succeeds, the kernel (and a private server it runs on) is left running instead.
 */
export async function withNotebookSession<T>(
  notebook: INotebookFile,
  options: ISessionOptions,
  { cleanup, progress }: ICommandContext,
  body: (open: IOpenNotebook) => Promise<T>
): Promise<{ result: T; kept: IKeptKernel | null }> {
  let server: IJupyterServer;
  let notebookPath: string;
  let local: LocalJupyterServer | null = null;
  let forgetServer = () => undefined as void;
  if (options.server) {
    progress.step(`connecting to ${options.server}`);
    server = await connectServer(options.server, options.token ?? '');
    notebookPath = await locateOnServer(server, notebook);
  } else {
    progress.step('starting a Jupyter server');
    const launched = await LocalJupyterServer.launch(path.dirname(notebook.path));
    // Registered before it is ready: Ctrl-C or a failure during start-up must not leave it behind.
    forgetServer = cleanup.add('stopping the Jupyter server', () => launched.stop());
    await launched.ready();
    local = launched;
    server = local;
    notebookPath = path.basename(notebook.path);
  }
  progress.step('starting a kernel');
  const session = await KernelSession.start(server, notebookPath, notebook.kernelName);
  const forgetSession = cleanup.add('shutting the kernel down', () => session.shutdown());
  progress.step('loading the Elastic Notebook agent');
  await session.bootstrap();
  const result = await body({ server, session });
  if (!options.keepKernel) {
    return { result, kept: null };
  }
  const kept: IKeptKernel = { kernelId: session.kernelId, connectionFile: await session.connectionFile() };
  forgetSession();
  session.detach();
  if (local) {
    forgetServer();
    kept.server = local.keep();
  }
  return { result, kept };
}
