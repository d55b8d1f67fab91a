import { IKernelChannel } from '../migrate/agentCalls';
import { KernelSession } from './kernelSession';

/** A CLI kernel session as the checkpoint/restore orchestrator's channel to the agent. */
export function kernelChannel(session: KernelSession): IKernelChannel {
  return {
    // Agent calls take as long as their data takes (0: no time limit).
    evaluate: (expression, timeoutMs, label) => session.evaluate(expression, timeoutMs ?? 0, label ?? expression),
    runSilently: code => session.runSilently(code, 'replaying an execution')
  };
}
