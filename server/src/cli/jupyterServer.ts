import { CliError } from './cliError';

/** A Jupyter server the CLI talks to: one it started itself, or one given with `--server`. */
export interface IJupyterServer {
  /** Base URL, ending with `/`. */
  readonly baseUrl: string;
  /** API token ('' for a server without authentication). */
  readonly token: string;
  /**
   * Settles with the reason when the server goes away while in use. Only a server the CLI started
   * can tell; for one given with `--server` it never settles (a lost connection shows up instead).
   */
  readonly lost: Promise<string>;
}

/** A problem reaching or using a Jupyter server; `transient` ones may go away while it starts. */
export class ServerProblem extends CliError {
  constructor(
    message: string,
    readonly transient = false
  ) {
    super(message);
  }
}

/** The reason a fetch failed at the network level (`connect ECONNREFUSED 127.0.0.1:9`). */
function networkReason(err: unknown): string {
  const cause = (err as { cause?: { message?: string; code?: string } }).cause;
  return cause?.message ?? cause?.code ?? (err as Error).message;
}

/**
 * Call the server's REST API with the token. Network failures become a clear
 * {@link ServerProblem}; HTTP error statuses are returned to the caller to interpret.
 */
export async function callServer(
  server: Pick<IJupyterServer, 'baseUrl' | 'token'>,
  apiPath: string,
  init: RequestInit = {}
): Promise<Response> {
  const url = new URL(apiPath, server.baseUrl);
  const headers = new Headers(init.headers);
  if (server.token) {
    headers.set('Authorization', `token ${server.token}`);
  }
  try {
    return await fetch(url, { ...init, headers });
  } catch (err) {
    throw new ServerProblem(`cannot reach the Jupyter server at ${server.baseUrl} (${networkReason(err)})`, true);
  }
}

/** The `error` (or `message`) field of a JSON error answer, if there is one. */
export async function errorText(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown; reason?: unknown };
    const reason = body.error ?? body.message ?? body.reason;
    if (typeof reason === 'string' && reason) {
      return reason;
    }
  } catch {
    // Not JSON: fall through to the status line.
  }
  return `HTTP ${response.status} ${response.statusText}`.trim();
}

/**
 * Check that a server answers, accepts the token and has the Elastic Notebook extension, with a
 * specific error for each of those failures.
 */
export async function checkServer(server: Pick<IJupyterServer, 'baseUrl' | 'token'>): Promise<void> {
  const { baseUrl, token } = server;
  const status = await callServer(server, 'api/status');
  await status.arrayBuffer();
  if (status.status === 401 || status.status === 403) {
    throw new ServerProblem(
      token
        ? `the Jupyter server at ${baseUrl} rejected the token`
        : `the Jupyter server at ${baseUrl} needs a token: pass --token`
    );
  }
  if (status.status !== 200) {
    throw new ServerProblem(
      `${baseUrl} does not look like a Jupyter server (GET api/status answered ${status.status})`,
      status.status >= 500
    );
  }
  const health = await callServer(server, 'elastic-notebook/api/health');
  if (health.status === 404) {
    await health.arrayBuffer();
    throw new ServerProblem(`the Jupyter server at ${baseUrl} does not have the Elastic Notebook extension enabled`);
  }
  if (health.status !== 200) {
    const reason = await errorText(health);
    throw new ServerProblem(`the Elastic Notebook extension at ${baseUrl} is not ready (${reason})`, true);
  }
  await health.arrayBuffer();
}

/** Parse and check `--server URL` (with `--token`), for a server someone else runs. */
export async function connectServer(url: string, token: string): Promise<IJupyterServer> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(`--server must be an http(s) URL, got ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new CliError(`--server must be an http(s) URL, got ${JSON.stringify(url)}`);
  }
  parsed.search = '';
  parsed.hash = '';
  const baseUrl = parsed.href.endsWith('/') ? parsed.href : `${parsed.href}/`;
  const server = { baseUrl, token, lost: new Promise<string>(() => undefined) };
  await checkServer(server);
  return server;
}
