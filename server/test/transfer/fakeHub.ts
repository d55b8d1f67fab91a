/**
 * A stand-in for a JupyterHub's REST API, for the Hub client's unit tests: the user model with its
 * servers, starting a named server (`POST`, answered as the test's `spawn` says), the spawn's
 * progress event stream and stopping (`DELETE`). It checks `Authorization: token <token>` and
 * listens on a loopback port.
 */
import express from 'express';
import http from 'http';
import { AddressInfo } from 'net';

/** Prefixed to the token: a token with `read:users` only (the user model comes without its servers). */
export const NARROW = 'narrow-';

/** How the fake Hub answers a start. */
export type FakeSpawn =
  /** Ready at once: `201`. */
  | { kind: 'ready' }
  /** `202`, progress messages, then ready after `afterMs`. */
  | { kind: 'slow'; afterMs: number; messages: string[] }
  /** The POST itself fails with `500 {message}`; the progress stream then says `Spawn failed: <progress>`, if given. */
  | { kind: 'post-fails'; message: string; progress?: string }
  /** `202`, then the spawn fails after `afterMs` with `Spawn failed: <message>` in the progress stream. */
  | { kind: 'fails-later'; afterMs: number; message: string }
  /** `202`, and it never becomes ready. */
  | { kind: 'never' };

/** A server of the fake Hub's user. */
interface IServer {
  ready: boolean;
  pending: 'spawn' | 'stop' | null;
  url: string;
  failure: string | null;
}

/** A running fake Hub. */
export interface IFakeHub {
  url: string;
  token: string;
  user: string;
  spawn: FakeSpawn;
  /** The bodies of the starts and the names of the stops, in order. */
  calls: Array<{ method: 'POST' | 'DELETE'; server: string; body?: unknown }>;
  /** Mark `server` running (a server started before the migration). */
  run(server: string): void;
  /** Whether `server` is running or starting. */
  active(server: string): boolean;
  close(): Promise<void>;
}

/** Serve a fake Hub with one user. */
export async function fakeHub(options: { token: string; user: string; spawn?: FakeSpawn }): Promise<IFakeHub> {
  const servers = new Map<string, IServer>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, action: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, ms);
    timers.add(timer);
  };
  const serverUrl = (name: string) => `/user/${options.user}/${name}/`;
  const app = express();
  const hub: Omit<IFakeHub, 'url' | 'close'> = {
    token: options.token,
    user: options.user,
    spawn: options.spawn ?? { kind: 'ready' },
    calls: [],
    run: name => servers.set(name, { ready: true, pending: null, url: serverUrl(name), failure: null }),
    active: name => servers.has(name)
  };
  app.use((req, res, next) => {
    const auth = req.header('authorization');
    if (auth !== `token ${options.token}` && !(req.method === 'GET' && auth === `token ${NARROW}${options.token}`)) {
      res.status(403).json({ status: 403, message: 'Forbidden' });
      return;
    }
    next();
  });
  app.get('/hub/api/users/:user', (req, res) => {
    if (req.params.user !== options.user) {
      res.status(404).json({ status: 404, message: 'Not Found' });
      return;
    }
    const listed = Object.fromEntries(
      [...servers].map(([name, s]) => [name, { name, ready: s.ready, pending: s.pending, url: s.url }])
    );
    // A token without read:servers sees the user model without its servers.
    const narrow = req.header('authorization') === `token ${NARROW}${options.token}`;
    res.json(narrow ? { name: options.user } : { name: options.user, servers: listed });
  });
  app.post('/hub/api/users/:user/servers/:name', express.json(), (req, res) => {
    const { name } = req.params;
    hub.calls.push({ method: 'POST', server: name, body: req.body });
    const spawn = hub.spawn;
    if (spawn.kind === 'post-fails') {
      if (spawn.progress) {
        progressOf.set(name, {
          ready: false,
          pending: null,
          url: serverUrl(name),
          failure: `Spawn failed: ${spawn.progress}`
        });
      }
      res.status(500).json({ status: 500, message: spawn.message });
      return;
    }
    if (spawn.kind === 'ready') {
      hub.run(name);
      res.status(201).end();
      return;
    }
    const server: IServer = { ready: false, pending: 'spawn', url: serverUrl(name), failure: null };
    servers.set(name, server);
    if (spawn.kind === 'slow') {
      later(spawn.afterMs, () => Object.assign(server, { ready: true, pending: null }));
    } else if (spawn.kind === 'fails-later') {
      later(spawn.afterMs, () => {
        servers.delete(name);
        server.failure = `Spawn failed: ${spawn.message}`;
      });
    }
    progressOf.set(name, server);
    res.status(202).end();
  });
  // The last spawn of each server, so that its progress can tell a failure after the fact.
  const progressOf = new Map<string, IServer>();
  app.get('/hub/api/users/:user/servers/:name/progress', (req, res) => {
    const server = progressOf.get(req.params.name) ?? servers.get(req.params.name);
    if (!server) {
      res.status(400).json({ status: 400, message: 'not starting' });
      return;
    }
    res.setHeader('Content-Type', 'text/event-stream');
    const send = (event: object) => res.write(`data: ${JSON.stringify(event)}\n\n`);
    const spawn = hub.spawn;
    if (spawn.kind === 'slow' && server.pending) {
      spawn.messages.forEach((message, i) => send({ progress: 10 * (i + 1), message }));
    }
    const check = () => {
      if (server.ready) {
        send({ progress: 100, ready: true, message: `Server ready at ${server.url}`, url: server.url });
        res.end();
      } else if (server.failure) {
        send({ progress: 100, failed: true, message: server.failure });
        res.end();
      } else if (!res.destroyed) {
        res.write('\n\n'); // keep-alive, as the Hub sends
        later(20, check);
      }
    };
    check();
  });
  app.delete('/hub/api/users/:user/servers/:name', (req, res) => {
    hub.calls.push({ method: 'DELETE', server: req.params.name });
    if (!servers.delete(req.params.name)) {
      res.status(404).json({ status: 404, message: `${options.user} has no server named '${req.params.name}'` });
      return;
    }
    res.status(204).end();
  });
  const server = http.createServer(app);
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(hub, {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>(resolve => {
        timers.forEach(clearTimeout);
        server.closeAllConnections();
        server.close(() => resolve());
      })
  });
}
