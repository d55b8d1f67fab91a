/**
 * Probing a remote target over HTTP: the facts of its machine (`<url>elastic-notebook/api/machine`,
 * the token in an `Authorization` header, never in the URL), a small bandwidth probe, and for a
 * JupyterHub target whether its named server runs (the Hub's REST API). Every failure becomes a
 * short reason for the listing ("connection refused", "401: token refused", "timed out after 5 s").
 */
import { machineInfoSchema, type MachineInfo } from '@elastic-notebook/protocol/schemas';
import { randomBytes } from 'crypto';
import { performance } from 'perf_hooks';
import { describeIssues } from '../schemas';
import type { IResolvedTarget } from './targetRegistry';

/** The path of the machine route under a Jupyter server's base URL. */
export const MACHINE_PATH = 'elastic-notebook/api/machine';

/** A probe's outcome: what came back, or why nothing did. */
export type ProbeOutcome<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Why a request failed before any answer, in a few words. */
export function networkReason(err: unknown, timeoutMs: number): string {
  const error = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (error?.name === 'TimeoutError' || error?.name === 'AbortError') {
    return `timed out after ${Math.round(timeoutMs / 100) / 10} s`;
  }
  switch (error?.cause?.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      // fetch refuses the ports browsers block (6000, 6665-6669, 10080...) with "bad port".
      return error?.cause?.message === 'bad port'
        ? 'port refused by the HTTP client as unsafe (choose another port)'
        : (error?.cause?.code ?? error?.cause?.message ?? error?.message ?? String(err));
  }
}

/** GET or POST `url` with the token, within `timeoutMs`; a network failure is a reason. */
async function call(
  url: string,
  token: string,
  timeoutMs: number,
  init: RequestInit = {}
): Promise<ProbeOutcome<Response>> {
  try {
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
      headers: { ...(init.headers as Record<string, string>), Authorization: `token ${token}` }
    });
    return { ok: true, value: response };
  } catch (err) {
    return { ok: false, reason: networkReason(err, timeoutMs) };
  }
}

/** The `error` or `message` of a JSON answer, for a reason. */
async function answerText(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    const said = body.error ?? body.message;
    if (typeof said === 'string' && said) {
      return said.slice(0, 200);
    }
  } catch {
    // Not JSON.
  }
  return response.statusText || 'no explanation';
}

/** The facts of the machine behind the Jupyter server at `baseUrl` (ending with `/`). */
export async function probeMachine(
  baseUrl: string,
  token: string,
  modules: string[],
  timeoutMs: number
): Promise<ProbeOutcome<MachineInfo>> {
  const query = modules.length ? `?modules=${encodeURIComponent(modules.join(','))}` : '';
  const answer = await call(`${baseUrl}${MACHINE_PATH}${query}`, token, timeoutMs);
  if (!answer.ok) {
    return answer;
  }
  const response = answer.value;
  if (response.status === 401 || response.status === 403) {
    await response.arrayBuffer().catch(() => undefined);
    return { ok: false, reason: `${response.status}: token refused` };
  }
  if (response.status === 404) {
    await response.arrayBuffer().catch(() => undefined);
    return { ok: false, reason: `not an Elastic Notebook server (404 on /${MACHINE_PATH})` };
  }
  if (response.status >= 300 && response.status < 400) {
    await response.arrayBuffer().catch(() => undefined);
    return { ok: false, reason: `${response.status}: redirected (to a login page?): check the URL and token` };
  }
  if (response.status !== 200) {
    return { ok: false, reason: `${response.status}: ${await answerText(response)}` };
  }
  let json: unknown;
  try {
    json = await response.json();
  } catch {
    return { ok: false, reason: 'not an Elastic Notebook server (its machine route did not answer JSON)' };
  }
  const parsed = machineInfoSchema.safeParse(json);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, reason: `unexpected machine facts (${describeIssues(parsed.error, 'machine')})` };
}

/** Bytes of the bandwidth probe: small, so that it costs little even on a slow link. */
export const BANDWIDTH_PROBE_BYTES = 1024 * 1024;

/**
 * Bytes per second of one upload of {@link BANDWIDTH_PROBE_BYTES} random bytes to the target's
 * echo route (latency included: it is what a small transfer sees); null when it fails.
 */
export async function probeBandwidth(baseUrl: string, token: string, timeoutMs: number): Promise<number | null> {
  const body = randomBytes(BANDWIDTH_PROBE_BYTES);
  const start = performance.now();
  const answer = await call(`${baseUrl}${MACHINE_PATH}/echo`, token, timeoutMs, {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'application/octet-stream' }
  });
  if (!answer.ok || answer.value.status !== 200) {
    await (answer.ok ? answer.value.arrayBuffer().catch(() => undefined) : undefined);
    return null;
  }
  const echoed = (await answer.value.json().catch(() => null)) as { bytes?: unknown } | null;
  const ms = performance.now() - start;
  return echoed?.bytes === BANDWIDTH_PROBE_BYTES && ms > 0 ? (BANDWIDTH_PROBE_BYTES * 1000) / ms : null;
}

/** A Hub user's named server, as the Hub's REST API describes it. */
export interface IHubServerState {
  state: 'running' | 'pending' | 'stopped';
  /** The server's URL when it runs. */
  url: string | null;
}

/** Whether the Hub target's named server runs, and where (`GET {hub}hub/api/users/{user}`). */
export async function probeHubServer(
  target: IResolvedTarget,
  timeoutMs: number
): Promise<ProbeOutcome<IHubServerState>> {
  const hub = target.hub!;
  const answer = await call(`${target.url}hub/api/users/${encodeURIComponent(hub.user)}`, target.token, timeoutMs);
  if (!answer.ok) {
    return { ok: false, reason: `Hub: ${answer.reason}` };
  }
  const response = answer.value;
  if (response.status === 401 || response.status === 403) {
    await response.arrayBuffer().catch(() => undefined);
    return { ok: false, reason: `${response.status}: Hub API token refused` };
  }
  if (response.status === 404) {
    return {
      ok: false,
      reason: `Hub: ${await answerText(response)} (no user ${JSON.stringify(hub.user)}, or not a JupyterHub)`
    };
  }
  if (response.status !== 200) {
    return { ok: false, reason: `Hub: ${response.status}: ${await answerText(response)}` };
  }
  const user = (await response.json().catch(() => null)) as {
    servers?: Record<string, { ready?: boolean; pending?: string | null; url?: string }>;
  } | null;
  if (!user || typeof user !== 'object') {
    return { ok: false, reason: 'Hub: not a JupyterHub user model' };
  }
  const server = user.servers?.[hub.server];
  if (!server) {
    return { ok: true, value: { state: 'stopped', url: null } };
  }
  if (server.ready && typeof server.url === 'string') {
    const url = new URL(server.url, target.url);
    // The Hub token goes to the Hub's own origin only (its proxy serves the user's servers).
    if (url.origin !== new URL(target.url).origin) {
      return { ok: false, reason: `Hub: the server's URL ${url.origin} is not on the Hub's origin` };
    }
    return { ok: true, value: { state: 'running', url: url.href } };
  }
  return { ok: true, value: { state: server.pending ? 'pending' : 'stopped', url: null } };
}
