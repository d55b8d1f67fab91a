/**
 * The checkpoint/restore orchestrator's channel to a kernel of the Jupyter server (an
 * `IKernelChannel`), over the server extension's internal execute route: the same silent execute
 * requests a frontend would send, made by the companion so that no browser has to be connected.
 */
import { IKernelChannel } from '../migrate/agentCalls';
import { MigrationError } from '../migrate/migrationError';
import { InternalClient, InternalRouteError } from './internalClient';

/** One user expression's result in an execute reply. */
interface IExpressionResult {
  status: 'ok' | 'error' | 'aborted';
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}

/** What the internal execute route answers. */
export interface IExecuteReply {
  status: 'ok' | 'error' | 'aborted';
  ename: string | null;
  evalue: string | null;
  user_expressions: Record<string, IExpressionResult>;
}

/** The body of an internal execute request. */
export interface IExecuteRequest {
  code: string;
  silent?: boolean;
  store_history?: boolean;
  user_expressions?: Record<string, string>;
  /** Seconds; null or absent: wait as long as the kernel takes. */
  timeout?: number | null;
}

/** The first line of a message, for one-line errors. */
function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}

/** An expression as messages show it: whole if short, else its start. */
export function expressionLabel(expression: string): string {
  return expression.length > 60 ? `${expression.slice(0, 57)}...` : expression;
}

/** A failed internal request as the orchestrator reports it. */
export function kernelProblem(err: unknown, kernelId: string, activity: string): Error {
  if (err instanceof InternalRouteError) {
    if (err.status === 404) {
      return new MigrationError(`kernel ${kernelId} is not running any more (while ${activity})`);
    }
    if (err.status === 502) {
      return new MigrationError(`the kernel died or was restarted while ${activity}`);
    }
    return new MigrationError(`${activity} failed: ${err.message}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** Send one execute request to `kernelId`, mapping transport failures to one-line errors. */
export async function executeIn(
  client: InternalClient,
  kernelId: string,
  request: IExecuteRequest,
  activity: string
): Promise<IExecuteReply> {
  try {
    return await client.post<IExecuteReply>(`kernels/${encodeURIComponent(kernelId)}/execute`, request);
  } catch (err) {
    throw kernelProblem(err, kernelId, activity);
  }
}

/** The channel to `kernelId`: evaluation of user expressions and silent runs. */
export function internalKernelChannel(client: InternalClient, kernelId: string): IKernelChannel {
  return {
    async evaluate(expression: string, timeoutMs?: number, name?: string): Promise<string> {
      const label = name ?? expressionLabel(expression);
      const reply = await executeIn(
        client,
        kernelId,
        {
          code: '',
          silent: true,
          store_history: false,
          user_expressions: { value: expression },
          timeout: timeoutMs ? timeoutMs / 1000 : null
        },
        `evaluating ${label}`
      );
      const value = reply.user_expressions?.value;
      if (!value || value.status !== 'ok') {
        const reason = value
          ? `${value.ename ?? 'error'}: ${firstLine(value.evalue ?? '')}`
          : `the request ended ${reply.status}`;
        throw new MigrationError(`evaluating ${label} in the kernel failed: ${reason}`);
      }
      return String(value.data?.['text/plain'] ?? '');
    },

    async runSilently(code: string): Promise<string | null> {
      const reply = await executeIn(
        client,
        kernelId,
        { code, silent: true, store_history: false },
        'replaying an execution'
      );
      if (reply.status === 'error') {
        return `${reply.ename ?? 'Error'}: ${firstLine(reply.evalue ?? '')}`;
      }
      return reply.status === 'aborted' ? 'aborted' : null;
    }
  };
}
