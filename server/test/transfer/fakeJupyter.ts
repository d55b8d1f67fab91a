/**
 * A stand-in for a Jupyter server in front of a companion, for the migration's unit tests: it
 * checks `Authorization: token <token>`, answers `api/status`, keeps files in a folder behind a
 * minimal contents API, and proxies `elastic-notebook/api/...` to the companion with the shared
 * secret, as elastic_notebook/serverext does. It listens on a loopback port.
 */
import express from 'express';
import fs from 'fs';
import http from 'http';
import { AddressInfo } from 'net';
import path from 'path';

/** A running fake Jupyter server. */
export interface IFakeJupyter {
  url: string;
  token: string;
  /** Awaited before `api/status` answers (a test holds a migration there). */
  onStatus: (() => Promise<void>) | null;
  /** Awaited before a request is proxied to the companion (a test holds a file's chunks there). */
  onCompanion: ((req: express.Request) => Promise<void>) | null;
  close(): Promise<void>;
}

/** Serve `companion` behind a fake Jupyter server whose files live in `root`. */
export async function fakeJupyter(
  companion: express.Express,
  options: { secret: string; token: string; root: string }
): Promise<IFakeJupyter> {
  const app = express();
  const fake = { onStatus: null, onCompanion: null } as Pick<IFakeJupyter, 'onStatus' | 'onCompanion'>;
  app.use((req, res, next) => {
    if (req.header('authorization') !== `token ${options.token}`) {
      res.status(403).json({ message: 'Forbidden' });
      return;
    }
    next();
  });
  app.get('/api/status', async (_req, res) => {
    await fake.onStatus?.();
    res.json({ started: 'now' });
  });
  const file = (req: express.Request) =>
    path.join(options.root, decodeURIComponent(req.path.slice('/api/contents/'.length)));
  app.get('/api/contents/*rest', (req, res) => {
    const target = file(req);
    if (!fs.existsSync(target)) {
      res.status(404).json({ message: `No such file or directory: ${req.path}` });
    } else if (fs.statSync(target).isDirectory()) {
      res.json({ type: 'directory', content: null });
    } else {
      res.json({
        type: 'file',
        format: 'text',
        content: req.query.content === '0' ? null : fs.readFileSync(target, 'utf8')
      });
    }
  });
  app.put('/api/contents/*rest', express.json(), (req, res) => {
    const target = file(req);
    if (req.body.type === 'directory') {
      fs.mkdirSync(target);
    } else {
      fs.writeFileSync(target, req.body.content);
    }
    res.status(201).json({ type: req.body.type });
  });
  app.delete('/api/contents/*rest', (req, res) => {
    fs.rmSync(file(req), { force: true });
    res.status(204).end();
  });
  app.use('/elastic-notebook', async (req, res, next) => {
    req.headers['x-elastic-notebook-secret'] = options.secret;
    await fake.onCompanion?.(req);
    companion(req, res, next);
  });
  const server = http.createServer(app);
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}/`,
    token: options.token,
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      })
  });
}
