/**
 * Before planning a checkpoint, every execution the kernel's agent recorded must be stored by the
 * companion: the agent sends records from a background thread, so the last cell's record can
 * arrive a moment after the cell finished. This asks the agent how far it is (its `status()`) and
 * waits until the companion's store holds as many records of the same run.
 */
import { z } from 'zod';
import type { HistoryStore } from '../ahg/store';
import { IKernelChannel } from '../migrate/agentCalls';
import { MigrationError } from '../migrate/migrationError';

/** What the agent's `status()` reports (extra fields pass through). */
export const agentStatusSchema = z.looseObject({
  active: z.boolean(),
  runId: z.string().optional(),
  recorded: z.number().int().nonnegative().optional(),
  acknowledged: z.number().int().nonnegative().optional(),
  lastError: z.string().nullable().optional()
});

/** The agent's status in a kernel. */
export type AgentStatus = z.infer<typeof agentStatusSchema>;

/**
 * The expression that returns the base64 of the JSON of the agent's status, or of
 * `{"active": false}` when the agent is not loaded (base64, so that nothing needs unquoting).
 */
export const STATUS_EXPRESSION =
  "__import__('base64').b64encode(__import__('json').dumps(" +
  "getattr(__import__('sys').modules.get('_elastic_notebook_agent'), 'status', lambda: {'active': False})()" +
  ').encode()).decode()';

/**
 * Ask the agent in the kernel behind `channel` for its status. The request waits behind whatever
 * the kernel is running (a checkpoint asked for during a long cell happens after it), unless
 * `signal` aborts first.
 */
export async function agentStatus(channel: IKernelChannel, signal?: AbortSignal): Promise<AgentStatus> {
  const text = (await unlessAborted(channel.evaluate(STATUS_EXPRESSION), signal)).trim();
  const match = /^'([A-Za-z0-9+/=]*)'$/.exec(text);
  let parsed: unknown = null;
  try {
    parsed = match ? JSON.parse(Buffer.from(match[1], 'base64').toString('utf8')) : null;
  } catch {
    parsed = null;
  }
  const status = agentStatusSchema.safeParse(parsed);
  if (!status.success) {
    throw new MigrationError(`the kernel answered the agent status request with ${text.slice(0, 80)}`);
  }
  return status.data;
}

/** Options of {@link waitUntilStored}. */
export interface IWaitOptions {
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
  /** Between two looks (default 200 ms). */
  intervalMs?: number;
  signal?: AbortSignal;
  /** Called once when the first look finds records still on their way. */
  onWaiting?: (stored: number, recorded: number) => void;
}

/** The kernel's run, fully stored. */
export interface IStoredRun {
  runId: string;
  /** Executions the agent recorded (all of them stored). */
  recorded: number;
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** `promise`, or a cancellation error as soon as `signal` aborts (the promise is left to settle). */
function unlessAborted<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) {
    return promise;
  }
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(new MigrationError('cancelled while waiting for the kernel'));
    if (signal.aborted) {
      abort();
      return;
    }
    signal.addEventListener('abort', abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

/**
 * Resolve once the companion's `store` holds every record the agent in `kernelId` has made in its
 * current run. Rejects with a one-line `MigrationError` when recording is off, nothing was
 * recorded yet, the wait times out, or `signal` aborts.
 */
export async function waitUntilStored(
  channel: IKernelChannel,
  store: HistoryStore,
  kernelId: string,
  options: IWaitOptions = {}
): Promise<IStoredRun> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let warned = false;
  for (;;) {
    if (options.signal?.aborted) {
      throw new MigrationError('cancelled while waiting for the recorded history');
    }
    const status = await agentStatus(channel, options.signal);
    if (!status.active || !status.runId) {
      throw new MigrationError(
        'the Elastic Notebook agent is not recording in this kernel (not a Python kernel, or the agent failed to load): nothing to checkpoint'
      );
    }
    const recorded = status.recorded ?? 0;
    if (recorded === 0) {
      throw new MigrationError('nothing has been recorded in this kernel yet: run some cells first');
    }
    const run = await store.currentRun(kernelId);
    const stored = run?.runId === status.runId ? run.graph.size : 0;
    if (stored >= recorded) {
      return { runId: status.runId, recorded };
    }
    if (!warned) {
      warned = true;
      options.onWaiting?.(stored, recorded);
    }
    if (Date.now() >= deadline) {
      const detail = status.lastError ? ` (the agent reports: ${status.lastError})` : '';
      throw new MigrationError(
        `the companion has stored ${stored} of the ${recorded} executions the kernel recorded after ${Math.round(timeoutMs / 1000)} s${detail}`
      );
    }
    await sleep(options.intervalMs ?? 200);
  }
}
