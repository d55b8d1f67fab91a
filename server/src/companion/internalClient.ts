/**
 * The companion's HTTP client for the Jupyter server extension's internal routes
 * (`<jupyter>/elastic-notebook/internal/...`, see elastic_notebook/serverext/internal.py): JSON
 * POSTs carrying the shared secret, over loopback.
 *
 * It uses Node's `http` module rather than `fetch`: an agent call that serializes gigabytes can
 * take many minutes before the kernel answers, and fetch gives up on a response whose headers
 * take longer than five minutes. Requests here wait as long as the kernel takes, unless aborted.
 */
import http from 'http';
import https from 'https';
import { SECRET_HEADER } from '../auth';

/** An internal route answered with an error status, or could not be reached (status 0). */
export class InternalRouteError extends Error {
  constructor(
    /** The HTTP status, or 0 when the Jupyter server could not be reached. */
    readonly status: number,
    message: string
  ) {
    super(message);
    this.name = 'InternalRouteError';
  }
}

/** POSTs JSON to the internal routes of one Jupyter server. */
export class InternalClient {
  private readonly base: URL;
  private readonly agent: http.Agent;

  /**
   * @param baseUrl The Jupyter server's URL with its base path (`http://127.0.0.1:8888/`).
   * @param secret The shared secret the routes require.
   */
  constructor(
    baseUrl: string,
    private readonly secret: string
  ) {
    this.base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    // Keep-alive: a restore makes one request per re-run execution.
    this.agent =
      this.base.protocol === 'https:'
        ? // The server is this machine, reached on loopback; its certificate is usually made
          // for its public name, so only the shared secret authenticates it.
          new https.Agent({ keepAlive: true, rejectUnauthorized: false })
        : new http.Agent({ keepAlive: true });
  }

  /** The server's base URL, for messages. */
  get url(): string {
    return this.base.href;
  }

  /**
   * POST `body` to `elastic-notebook/internal/<route>` and resolve with the JSON answer. Rejects
   * with an {@link InternalRouteError} carrying the route's own `error` text for a non-2xx answer,
   * and with an `AbortError` when `signal` aborts.
   */
  post<T>(route: string, body: unknown, signal?: AbortSignal): Promise<T> {
    const url = new URL(`elastic-notebook/internal/${route}`, this.base);
    const payload = Buffer.from(JSON.stringify(body ?? {}), 'utf8');
    const send = url.protocol === 'https:' ? https.request : http.request;
    return new Promise<T>((resolve, reject) => {
      const request = send(
        url,
        {
          method: 'POST',
          agent: this.agent,
          signal,
          headers: {
            'Content-Type': 'application/json',
            'Content-Length': payload.length,
            [SECRET_HEADER]: this.secret
          }
        },
        response => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: any = undefined;
            try {
              parsed = text ? JSON.parse(text) : null;
            } catch {
              // Not JSON: reported below.
            }
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300 && parsed !== undefined) {
              resolve(parsed as T);
            } else if (typeof parsed?.error === 'string') {
              reject(new InternalRouteError(status, parsed.error));
            } else {
              const hint = status === 404 ? ' (is the elastic_notebook server extension up to date?)' : '';
              reject(
                new InternalRouteError(status, `${url.pathname} answered ${status} ${text.slice(0, 120)}${hint}`.trim())
              );
            }
          });
        }
      );
      request.on('error', (err: NodeJS.ErrnoException) => {
        if (err.name === 'AbortError') {
          reject(err);
        } else {
          reject(
            new InternalRouteError(
              0,
              `cannot reach the Jupyter server at ${this.base.origin}: ${err.code ?? err.message}`
            )
          );
        }
      });
      request.end(payload);
    });
  }

  /** Close idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }
}
