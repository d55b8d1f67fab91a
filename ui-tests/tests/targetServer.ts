import { ChildProcess, spawn } from 'child_process';
import { randomBytes } from 'crypto';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';

/** A second JupyterLab with the extension, as another machine would run it: its own port, token and folders. */
export interface ITargetServer {
  url: string;
  token: string;
  /** Its root folder: what the target's notebooks are saved in. */
  root: string;
  /** Stop it (by the PID this process started) and remove its folders. */
  stop(): Promise<void>;
}

/** A free loopback port. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Start the target server and resolve once its API answers with the token. */
export async function startTargetServer(): Promise<ITargetServer> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'elastic-notebook-ui-target-'));
  const root = path.join(folder, 'root');
  fs.mkdirSync(root);
  const port = await freePort();
  const token = randomBytes(16).toString('hex');
  const url = `http://127.0.0.1:${port}/`;
  const log = fs.openSync(path.join(folder, 'server.log'), 'w');
  const jupyter = path.resolve(__dirname, '..', '..', '.venv', 'bin', 'jupyter');
  const child: ChildProcess = spawn(
    jupyter,
    ['lab', '--config', path.resolve(__dirname, '..', 'target_server_config.py')],
    {
      cwd: folder,
      stdio: ['ignore', log, log],
      env: {
        ...process.env,
        ELASTIC_NOTEBOOK_TARGET_PORT: String(port),
        ELASTIC_NOTEBOOK_TARGET_ROOT: root,
        ELASTIC_NOTEBOOK_TARGET_TOKEN: token,
        ELASTIC_NOTEBOOK_TARGET_DATA: path.join(folder, 'data'),
        JUPYTER_RUNTIME_DIR: path.join(folder, 'runtime')
      }
    }
  );
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    fs.closeSync(log);
    fs.rmSync(folder, { recursive: true, force: true });
  };
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) {
      const text = fs.readFileSync(path.join(folder, 'server.log'), 'utf8');
      await stop();
      throw new Error(`the target server exited with ${child.exitCode}:\n${text.slice(-2000)}`);
    }
    try {
      const response = await fetch(`${url}elastic-notebook/api/health`, {
        headers: { Authorization: `token ${token}` }
      });
      if (response.ok) {
        return { url, token, root, stop };
      }
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error('the target server did not answer within 90 s');
    }
    await new Promise(resolve => setTimeout(resolve, 250));
  }
}
