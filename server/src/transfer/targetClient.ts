/**
 * The source companion's HTTP client for a target Jupyter server: every call carries
 * `Authorization: token <token>` (token-authenticated API calls need no XSRF cookie), and every
 * failure becomes a {@link MigrationError} that names the target (never its token). Companion
 * routes of the target are reached through its authenticated proxy, `elastic-notebook/api/...`.
 */
import { MigrationError } from '../migrate/migrationError';
import { targetSpaceMessage } from './diskSpace';
import type { ITarget } from './targets';

/** A target answered with an error status; `status` 0: it could not be reached at all. */
export class TargetError extends MigrationError {
  constructor(
    readonly status: number,
    message: string,
    /** The answer's JSON body, when it had one. */
    readonly body: Record<string, unknown> | null = null
  ) {
    super(message);
    this.name = 'TargetError';
  }

  /** Whether trying again may help: the connection was cut, or a proxy in between failed. */
  get transient(): boolean {
    return this.status === 0 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

/** The reason a fetch failed at the network level. */
function networkReason(err: unknown): string {
  const cause = (err as { cause?: { message?: string; code?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

/** Calls to one target. */
export class TargetClient {
  constructor(readonly target: ITarget) {}

  /** The target's name and URL, for messages. */
  get label(): string {
    return this.target.name === this.target.url.replace(/\/$/, '')
      ? this.target.name
      : `${this.target.name} (${this.target.url})`;
  }

  /**
   * Call `apiPath` (relative to the target's base URL) and answer the response when its status
   * is 2xx or one of `accept`; any other status or a network failure rejects with a {@link TargetError}.
   */
  async call(
    apiPath: string,
    init: { method?: string; json?: unknown; body?: Buffer; signal?: AbortSignal; accept?: number[] } = {}
  ): Promise<Response> {
    const headers: Record<string, string> = { Authorization: `token ${this.target.token}` };
    let body: BodyInit | undefined;
    if (init.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.body !== undefined) {
      headers['Content-Type'] = 'application/octet-stream';
      body = new Uint8Array(init.body) as Uint8Array<ArrayBuffer>;
    }
    let response: Response;
    try {
      response = await fetch(new URL(apiPath, this.target.url), {
        method: init.method ?? 'GET',
        headers,
        body,
        signal: init.signal,
        redirect: 'manual'
      });
    } catch (err) {
      if ((err as Error).name === 'AbortError') {
        throw err;
      }
      throw new TargetError(0, `cannot reach the target ${this.label}: ${networkReason(err)}`);
    }
    if (response.ok || init.accept?.includes(response.status)) {
      return response;
    }
    const text = await response.text().catch(() => '');
    let parsed: Record<string, unknown> | null = null;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Not JSON: the status says enough.
    }
    if (response.status === 401 || response.status === 403) {
      throw new TargetError(
        response.status,
        `the target ${this.label} refused the token (HTTP ${response.status}): check the target's token`,
        parsed
      );
    }
    const noSpace = response.status === 507 ? targetSpaceMessage(this.label, parsed) : null;
    if (noSpace) {
      throw new TargetError(507, noSpace, parsed);
    }
    const reason =
      typeof parsed?.error === 'string'
        ? parsed.error
        : typeof parsed?.message === 'string'
          ? parsed.message
          : `HTTP ${response.status}`;
    throw new TargetError(
      response.status,
      `the target ${this.label} answered ${apiPath.split('?')[0]}: ${reason}`,
      parsed
    );
  }

  /** Call `apiPath` and answer its JSON body. */
  async json<T>(apiPath: string, init: Parameters<TargetClient['call']>[1] = {}): Promise<T> {
    const response = await this.call(apiPath, init);
    try {
      return (await response.json()) as T;
    } catch {
      throw new TargetError(response.status, `the target ${this.label} answered ${apiPath} without JSON`);
    }
  }

  /**
   * Check that the target is a Jupyter server that accepts the token and runs this extension,
   * with a message for each failure.
   */
  async check(signal?: AbortSignal): Promise<void> {
    await (await this.call('api/status', { signal })).arrayBuffer();
    const health = await this.call('elastic-notebook/api/health', { signal, accept: [404] });
    await health.arrayBuffer();
    if (health.status === 404) {
      throw new TargetError(404, `the target ${this.label} does not run the Elastic Notebook extension`);
    }
  }
}
