/**
 * Before planning a checkpoint, every execution the kernel's agent recorded must be stored by the
 * companion: the agent sends records from a background thread, so the last cell's record can
 * arrive a moment after the cell finished. This asks the agent how far it is (its `status()`) and
 * waits until the companion's store holds as many records of the same run.
 */
import type { IStatusReply } from '@elastic-notebook/protocol';
import type { HistoryStore } from '../ahg/store';
import { AgentCalls, IKernelChannel } from '../migrate/agentCalls';
import { MigrationError } from '../migrate/migrationError';

export { STATUS_EXPRESSION } from '../migrate/agentCalls';

/** The agent's status in a kernel (the protocol's `status` reply). */
export type AgentStatus = IStatusReply;

/** Ask the agent in the kernel behind `channel` for its status ({@link AgentCalls.status}). */
export function agentStatus(channel: IKernelChannel, signal?: AbortSignal): Promise<AgentStatus> {
  return new AgentCalls(channel).status(signal);
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
