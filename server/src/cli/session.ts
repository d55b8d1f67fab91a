import path from 'path';
import { IJupyterServer, connectServer, startServer } from './jupyterServer';
import { KernelSession } from './kernelSession';
import { INotebookFile } from './notebook';
import { Progress } from './progress';

/** Options every kernel-driving command shares. */
export interface IServerOptions {
  server?: string;
  token?: string;
  keepKernel?: boolean;
}

/** What a command gets: the server, and a recorded kernel session for the notebook. */
export interface IOpenSession {
  server: IJupyterServer;
  session: KernelSession;
}

/**
 * Run `body` with a Jupyter server (started here unless --server was given) and a fresh kernel
 * session for `notebook`, with the agent loaded. Everything the CLI started is stopped afterwards,
 * on success and on failure, except the kernel when --keep-kernel is set.
 */
export async function withNotebookSession<T>(
  notebook: INotebookFile,
  options: IServerOptions,
  progress: Progress,
  body: (open: IOpenSession) => Promise<T>
): Promise<T> {
  if (options.server && !options.token) {
    throw new Error('--server needs --token');
  }
  let server: IJupyterServer;
  let notebookPath: string;
  if (options.server) {
    server = await connectServer(options.server, options.token as string);
    // The server's root is unknown here; a path relative to the current folder is the best guess.
    notebookPath = path.relative(process.cwd(), notebook.path);
  } else {
    progress.step('starting a Jupyter server');
    server = await startServer(path.dirname(notebook.path));
    notebookPath = path.basename(notebook.path);
  }
  let session: KernelSession | null = null;
  const interrupted = () => {
    progress.step('interrupted; cleaning up');
    void (session?.shutdown() ?? Promise.resolve()).finally(() => server.stop().finally(() => process.exit(130)));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    progress.step('starting a kernel');
    session = await KernelSession.start(server, notebookPath);
    progress.step('loading the Elastic Notebook agent');
    await session.bootstrap();
    const result = await body({ server, session });
    if (options.keepKernel) {
      session.detach();
      session = null;
    }
    return result;
  } finally {
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
    if (session) {
      await session.shutdown();
    }
    if (options.keepKernel && !session) {
      server.release();
    } else {
      await server.stop();
    }
  }
}
