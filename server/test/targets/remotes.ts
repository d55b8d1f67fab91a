/**
 * Stand-ins for remote targets on loopback: a Jupyter server's authenticated proxy in front of a
 * real companion app (the token checked as Jupyter would, then `/elastic-notebook/api/...` handed
 * to the companion's `/api/...` with its secret), and a JupyterHub's user API.
 */
import express from 'express';
import fs from 'fs';
import http from 'http';
import { AddressInfo } from 'net';
import os from 'os';
import path from 'path';
import { createCompanion } from '../../src/companion/createCompanion';

/** A listening stand-in. */
export interface IRemote {
  url: string;
  close(): Promise<void>;
}

/** Listen with `app` on a free loopback port. */
export async function listen(app: http.RequestListener): Promise<IRemote> {
  const server = http.createServer(app);
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      })
  };
}

/** The app of a "Jupyter server" with a companion behind its proxy, accepting `token`. */
export function jupyterApp(token: string, options: { version?: string } = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elastic-remote-'));
  const companion = createCompanion({ secret: 'remote-secret', dataDir, warn: () => undefined });
  const seen: string[] = [];
  const app = express();
  app.use((req, res, next) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
    if (req.headers.authorization !== `token ${token}`) {
      res.status(403).json({ message: 'Forbidden' });
      return;
    }
    if (!req.url.startsWith('/elastic-notebook/api/')) {
      res.status(404).json({ message: 'Not found' });
      return;
    }
    req.url = req.url.replace('/elastic-notebook/api/', '/api/');
    req.headers['x-elastic-notebook-secret'] = 'remote-secret';
    if (options.version && req.path === '/api/machine') {
      // A remote on another release: its machine facts say another version.
      const json = res.json.bind(res);
      res.json = (body: any) => json({ ...body, version: options.version });
    }
    next();
  });
  app.use(companion.app);
  return { app, seen, dispose: () => fs.rmSync(dataDir, { recursive: true, force: true }) };
}

/** A listening {@link jupyterApp}. */
export async function remoteJupyter(token: string, options: { version?: string } = {}) {
  const { app, seen, dispose } = jupyterApp(token, options);
  const remote = await listen(app);
  return {
    ...remote,
    seen,
    close: async () => {
      await remote.close();
      dispose();
    }
  };
}
