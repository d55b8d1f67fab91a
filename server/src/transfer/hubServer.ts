/**
 * Starting a JupyterHub user's named server for a migration, through the Hub's REST API: find the
 * server (`GET hub/api/users/:user`), start it when it is stopped (`POST .../servers/:name` with
 * the target's `user_options`, the `profile` among them, as KubeSpawner reads it), follow the
 * spawn's progress event stream until it is ready or failed, and stop it again when the migration
 * that started it gives up (`DELETE .../servers/:name`). A server that is running already is used
 * as it is and never stopped. The single-user server is then an ordinary Jupyter target, reached
 * through the Hub's proxy with the same API token (`Authorization: token <t>`; the token needs the
 * `access:servers` scope for that user besides `servers` and `read:users`).
 */
import { errorMessage } from '../bundle/errors';
import { MigrationError } from '../migrate/migrationError';
import { TargetClient, TargetError } from './targetClient';
import type { ITarget } from './targets';

/** A JupyterHub target: a user's named server, started through the Hub when it is stopped. */
export interface IHubTarget {
  /** What the user calls the target. */
  name: string;
  kind: 'jupyterhub';
  /** The Hub's public URL, ending with `/` (its REST API is under `hub/api/`). */
  url: string;
  /** The Hub API token (never in an answer or a log). */
  token: string;
  /** Whose server ('' is the user's default server), and the spawner's options. */
  hub: { user: string; server: string; profile?: string; userOptions?: Record<string, unknown> };
}

/** How long a spawn may take by default (a Kubernetes spawn may pull an image first). */
export const HUB_START_TIMEOUT_MS = 10 * 60_000;

/** Tuning of a {@link HubServer}. */
export interface IHubServerOptions {
  /** How long starting the server may take, ms (default {@link HUB_START_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** How often the user model is polled when the progress stream says nothing, ms (default 500). */
  pollMs?: number;
  /** Told each progress message of the spawn. */
  onProgress?: (message: string) => void;
}

/** A server in the Hub's user model. */
interface IHubServerModel {
  ready?: boolean;
  pending?: string | null;
  url?: string;
}

/** One event of the Hub's spawn progress stream. */
interface IProgressEvent {
  message?: string;
  ready?: boolean;
  failed?: boolean;
}

/** A user's named server on a Hub. */
export class HubServer {
  private readonly client: TargetClient;
  private _startedHere = false;

  constructor(
    readonly target: IHubTarget,
    private readonly options: IHubServerOptions = {}
  ) {
    // The Hub's REST API takes the same token header as a Jupyter server's.
    this.client = new TargetClient({ name: target.name, kind: 'jupyter', url: target.url, token: target.token });
  }

  /** `server "gpu" of alice on http://hub/`, for messages. */
  get label(): string {
    const { user, server } = this.target.hub;
    return `${server ? `server ${JSON.stringify(server)}` : 'the default server'} of ${user} on the Hub ${this.target.url}`;
  }

  /** Whether this object asked the Hub to start the server (so that {@link stop} should stop it). */
  get startedHere(): boolean {
    return this._startedHere;
  }

  /**
   * The running server as a Jupyter target (named like the Hub target), started first when it is
   * stopped; rejects with a {@link MigrationError} naming the Hub, user, server and the Hub's
   * reason when the spawn fails or takes longer than the timeout, and with the abort reason when
   * `signal` aborts.
   */
  async start(signal: AbortSignal): Promise<ITarget> {
    const timeoutMs = this.options.timeoutMs ?? HUB_START_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    const waiting = AbortSignal.any([signal, timeout]);
    try {
      let server = await this.server(waiting);
      if (server?.pending === 'stop') {
        server = await this.waitWhile(s => s?.pending === 'stop', waiting);
      }
      if (!server?.ready && server?.pending !== 'spawn') {
        await this.requestStart(waiting);
      }
      server = await this.waitUntilReady(waiting);
      return this.jupyterTarget(server);
    } catch (err) {
      if (signal.aborted) {
        throw err;
      }
      if (timeout.aborted) {
        throw new MigrationError(`${this.label} did not become ready within ${Math.round(timeoutMs / 100) / 10} s`);
      }
      throw err instanceof MigrationError ? err : new MigrationError(`${this.label}: ${errorMessage(err)}`);
    }
  }

  /**
   * Stop the server (best effort is the caller's: this rejects when the Hub refuses) and wait up to
   * `waitMs` until the Hub no longer lists it as running or stopping.
   */
  async stop(waitMs = 60_000): Promise<void> {
    const signal = AbortSignal.timeout(waitMs);
    const stopped = await this.client.call(this.apiPath(), { method: 'DELETE', signal, accept: [404] });
    await stopped.arrayBuffer();
    await this.waitWhile(s => s !== null, signal);
  }

  /** The API path of the server under the Hub's URL (`/server` for the default one). */
  private apiPath(suffix = ''): string {
    const { user, server } = this.target.hub;
    const base = `hub/api/users/${encodeURIComponent(user)}/`;
    return `${base}${server ? `servers/${encodeURIComponent(server)}` : 'server'}${suffix}`;
  }

  /** The server as the Hub's user model describes it; null when it is not running or starting. */
  private async server(signal: AbortSignal): Promise<IHubServerModel | null> {
    const { user, server } = this.target.hub;
    let model: { servers?: Record<string, IHubServerModel> };
    try {
      model = await this.client.json(`hub/api/users/${encodeURIComponent(user)}`, { signal });
    } catch (err) {
      throw this.hubError(err, `cannot read the user ${user}`);
    }
    if (!model.servers || typeof model.servers !== 'object') {
      // The Hub leaves the servers out of the user model for a token without read:servers.
      throw new MigrationError(
        `${this.label}: the Hub does not show ${user}'s servers to this token (it needs the scope servers!user=${user})`
      );
    }
    return model.servers[server] ?? null;
  }

  /** Ask the Hub to start the server with the target's options. */
  private async requestStart(signal: AbortSignal): Promise<void> {
    const { profile, userOptions } = this.target.hub;
    // The body is the spawner's user_options (every Hub version reads a bare object so).
    const body = { ...(userOptions ?? {}), ...(profile !== undefined ? { profile } : {}) };
    this._startedHere = true;
    try {
      await (await this.client.call(this.apiPath(), { method: 'POST', json: body, signal })).arrayBuffer();
    } catch (err) {
      if ((err as Error).name === 'AbortError' || (err instanceof TargetError && [401, 403].includes(err.status))) {
        throw this.hubError(err, 'could not start it');
      }
      // A spawn that fails at once answers a bare 500; its progress stream tells the reason.
      const verdict = await this.followProgress(AbortSignal.any([signal, AbortSignal.timeout(5000)])).catch(() => null);
      if (verdict?.failed && verdict.message) {
        throw new MigrationError(`${this.label} failed to start: ${verdict.message}`);
      }
      throw this.hubError(err, 'could not start it');
    }
  }

  /**
   * Wait until the server is ready: the spawn's progress stream tells the failures' reasons, and
   * the user model is polled when the stream ends without a verdict (or a Hub has none).
   */
  private async waitUntilReady(signal: AbortSignal): Promise<IHubServerModel> {
    const verdict = await this.followProgress(signal);
    if (verdict?.failed) {
      throw new MigrationError(`${this.label} failed to start: ${verdict.message ?? 'no reason given'}`);
    }
    const server = await this.waitWhile(s => s?.pending === 'spawn', signal);
    if (!server?.ready) {
      throw new MigrationError(
        `${this.label} failed to start: ${verdict?.message ?? 'it stopped before it was ready (see the Hub log)'}`
      );
    }
    return server;
  }

  /** Relay the spawn's progress messages until its last event; null when the stream says nothing. */
  private async followProgress(signal: AbortSignal): Promise<IProgressEvent | null> {
    let response: Response;
    try {
      response = await this.client.call(this.apiPath('/progress'), { signal });
    } catch (err) {
      if ((err as Error).name === 'AbortError') {
        throw err;
      }
      return null;
    }
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          return null;
        }
        buffered += value;
        let end: number;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const event = parseEvent(buffered.slice(0, end));
          buffered = buffered.slice(end + 2);
          if (event?.ready || event?.failed) {
            return event;
          }
          if (event?.message) {
            this.options.onProgress?.(event.message);
          }
        }
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }

  /** Poll the server's model while `pending(model)` holds; answer the first model for which it does not. */
  private async waitWhile(
    pending: (server: IHubServerModel | null) => boolean,
    signal: AbortSignal
  ): Promise<IHubServerModel | null> {
    for (;;) {
      const server = await this.server(signal);
      if (!pending(server)) {
        return server;
      }
      await new Promise(resolve => setTimeout(resolve, this.options.pollMs ?? 500));
      signal.throwIfAborted();
    }
  }

  /** The ready server as a Jupyter target, on the Hub's origin (the token goes nowhere else). */
  private jupyterTarget(server: IHubServerModel): ITarget {
    if (typeof server.url !== 'string') {
      throw new MigrationError(`${this.label} is ready but the Hub gave no URL for it`);
    }
    const url = new URL(server.url, this.target.url);
    if (url.origin !== new URL(this.target.url).origin) {
      throw new MigrationError(
        `${this.label} is at ${url.origin}, not on the Hub's origin: the token is not sent there`
      );
    }
    return {
      name: this.target.name,
      kind: 'jupyter',
      url: url.href.endsWith('/') ? url.href : `${url.href}/`,
      token: this.target.token
    };
  }

  /** A Hub call's failure as a message naming the Hub, the user and the server. */
  private hubError(err: unknown, what: string): Error {
    if ((err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError') {
      return err as Error;
    }
    if (err instanceof TargetError && (err.status === 401 || err.status === 403)) {
      return new MigrationError(
        `${this.label}: ${what}: the Hub refused the API token (HTTP ${err.status}; it needs the scopes servers, access:servers and read:users for ${this.target.hub.user})`
      );
    }
    const reason =
      err instanceof TargetError && err.body && typeof err.body.message === 'string'
        ? err.body.message
        : errorMessage(err);
    return new MigrationError(`${this.label}: ${what}: ${reason}`);
  }
}

/** The JSON of one `data:` event of a server-sent event stream (keep-alive blank lines give null). */
function parseEvent(block: string): IProgressEvent | null {
  const data = block
    .split('\n')
    .filter(line => line.startsWith('data:'))
    .map(line => line.slice(5).trim())
    .join('\n');
  if (!data) {
    return null;
  }
  try {
    return JSON.parse(data) as IProgressEvent;
  } catch {
    return null;
  }
}
