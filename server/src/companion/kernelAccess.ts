/**
 * How the companion reaches the kernels of its Jupyter server: a channel for the orchestrator,
 * a restart (a fresh process for a restore) and the agent bootstrap. The real implementation goes
 * through the server extension's internal routes; tests give a fake.
 */
import { IKernelChannel } from '../migrate/agentCalls';
import { MigrationError } from '../migrate/migrationError';
import { errorMessage } from '../bundle/errors';
import { InternalClient } from './internalClient';
import { IExecuteReply, internalKernelChannel, kernelProblem } from './kernelChannel';

/** Kernel operations the checkpoint and restore jobs need. */
export interface IKernelAccess {
  /** The orchestrator's channel to a kernel (silent evaluation and silent runs). */
  channel(kernelId: string): IKernelChannel;
  /** Restart a kernel (same id, fresh process) and resolve once it answers. */
  restart(kernelId: string): Promise<void>;
  /** Load the agent into a kernel (idempotent); rejects when it cannot be loaded. */
  bootstrap(kernelId: string): Promise<void>;
  /**
   * Open a notebook session for `notebookPath` (relative to the Jupyter root) with a new kernel,
   * as JupyterLab does when it opens the notebook (`kernelName` null: the server's default).
   */
  createSession(notebookPath: string, kernelName: string | null): Promise<ISessionIds>;
  /** End a session and shut its kernel down. */
  deleteSession(sessionId: string): Promise<void>;
  /**
   * Start a kernel for the notebook at `notebookPath` as a session would (its folder as working
   * directory), bound to no session yet; answers its id.
   */
  startKernel(notebookPath: string, kernelName: string | null): Promise<string>;
  /** Make every session using kernel `from` use kernel `to` (`from` keeps running); answers their ids. */
  moveSessions(from: string, to: string): Promise<string[]>;
  /** Shut a kernel down (its sessions end with it). */
  shutdown(kernelId: string): Promise<void>;
}

/** A Jupyter session and its kernel. */
export interface ISessionIds {
  sessionId: string;
  kernelId: string;
}

/** Kernel access through the Jupyter server at `client`'s URL. */
export function jupyterKernelAccess(client: InternalClient): IKernelAccess {
  const route = (kernelId: string, action: string) => `kernels/${encodeURIComponent(kernelId)}/${action}`;
  return {
    channel: kernelId => internalKernelChannel(client, kernelId),

    async restart(kernelId) {
      try {
        await client.post(route(kernelId, 'restart'), {});
      } catch (err) {
        throw kernelProblem(err, kernelId, 'restarting the kernel');
      }
    },

    async bootstrap(kernelId) {
      let reply: IExecuteReply;
      try {
        reply = await client.post<IExecuteReply>(route(kernelId, 'bootstrap'), {});
      } catch (err) {
        throw kernelProblem(err, kernelId, 'loading the agent');
      }
      if (reply.status !== 'ok') {
        throw new MigrationError(
          `loading the agent into the kernel failed: ${reply.ename ?? reply.status}: ${reply.evalue ?? ''}`.trim()
        );
      }
    },

    async createSession(notebookPath, kernelName) {
      try {
        return await client.post<ISessionIds>('sessions', { path: notebookPath, kernelName });
      } catch (err) {
        throw new MigrationError(`starting a kernel for ${notebookPath} failed: ${errorMessage(err)}`);
      }
    },

    async deleteSession(sessionId) {
      await client.post(`sessions/${encodeURIComponent(sessionId)}/delete`, {});
    },

    async startKernel(notebookPath, kernelName) {
      try {
        return (await client.post<{ kernelId: string }>('kernels', { path: notebookPath, kernelName })).kernelId;
      } catch (err) {
        throw new MigrationError(`starting a kernel for ${notebookPath} failed: ${errorMessage(err)}`);
      }
    },

    async moveSessions(from, to) {
      try {
        return (await client.post<{ sessionIds: string[] }>(route(from, 'move-sessions'), { to })).sessionIds;
      } catch (err) {
        throw kernelProblem(err, from, 'moving its sessions to the new kernel');
      }
    },

    async shutdown(kernelId) {
      try {
        await client.post(route(kernelId, 'shutdown'), {});
      } catch (err) {
        throw kernelProblem(err, kernelId, 'shutting the kernel down');
      }
    }
  };
}
