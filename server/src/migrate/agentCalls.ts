/**
 * Calls into the kernel agent (docs/checkpoint.md section 4): each one is a silent execute request
 * whose user expression runs `call(name, base64 JSON args)` and returns base64 JSON, so neither side
 * has to quote anything. Results are validated here: a malformed answer is an error that says which
 * call and which field.
 */
import type {
  ICheckpointReply as ICheckpointResult,
  IFingerprint,
  IImportsReply as IImportsResult,
  ILoadReply as ILoadResult,
  IRestoreReply as IRestoreResult,
  IStatusReply,
  IVerification
} from '@elastic-notebook/protocol';
import { agentReplySchemas } from '@elastic-notebook/protocol/schemas';
import type { z } from 'zod';
import { MigrationError } from './migrationError';

/** What the orchestrator needs from a kernel: silent expression evaluation and silent runs. */
export interface IKernelChannel {
  /**
   * Evaluate a Python expression as a `user_expressions` entry of a silent execute request and
   * return its text/plain; rejects with the Python error when it raises. `label` names the
   * expression in error messages (agent calls carry long encoded arguments).
   */
  evaluate(expression: string, timeoutMs?: number, label?: string): Promise<string>;
  /**
   * Run code as a top-level cell, silently and outside history (so the agent does not record it).
   * Resolves with the one-line error summary when it raises, else null.
   */
  runSilently(code: string): Promise<string | null>;
}

export type {
  ICheckpointReply as ICheckpointResult,
  IFingerprint,
  IHashed,
  IImportsReply as IImportsResult,
  ILoadReply as ILoadResult,
  IRestoreReply as IRestoreResult,
  ISourceEnvironment,
  IStatusReply,
  IVerification,
  IWrittenFile
} from '@elastic-notebook/protocol';

/** One step of a `restore` call. */
export type IRestoreCallStep =
  | { kind: 'rerun'; execution: number; code: string }
  | { kind: 'load'; groups: Array<{ index: number; members: string[]; file: string; checksum: string }> };

/** What the early imports need: the re-runs' code in order, and the modules the session had imported. */
export interface IImportsRequest {
  codes: string[];
  available: string[];
}

/** The expression that calls the agent. */
function callExpression(name: string, args: unknown): string {
  const encoded = Buffer.from(JSON.stringify(args), 'utf8').toString('base64');
  return `__import__('sys').modules['_elastic_notebook_agent'].call(${JSON.stringify(name)}, '${encoded}')`;
}

/**
 * The expression that calls the agent's `status`, and answers `{"active": false}` (base64 JSON
 * too) when no agent is loaded in the kernel: the one call a kernel without the agent answers.
 */
export const STATUS_EXPRESSION =
  "(lambda agent: agent.call('status') if agent is not None else " +
  `'${Buffer.from(JSON.stringify({ active: false })).toString('base64')}')` +
  "(__import__('sys').modules.get('_elastic_notebook_agent'))";

/** `promise`, or a cancellation error as soon as `signal` aborts (the promise is left to settle). */
export function unlessAborted<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
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

/** Decode the text/plain repr of the base64 string the agent answers with. */
function decodeAnswer(name: string, text: string): unknown {
  const match = /^'([A-Za-z0-9+/=]*)'$/.exec(text.trim());
  if (!match) {
    throw new MigrationError(
      `the kernel agent answered ${name} with ${text.slice(0, 80)} instead of an encoded result`
    );
  }
  try {
    return JSON.parse(Buffer.from(match[1], 'base64').toString('utf8'));
  } catch (err) {
    throw new MigrationError(`the kernel agent's answer to ${name} is not JSON: ${(err as Error).message}`);
  }
}

/** Call one agent function and validate its answer with `schema`. */
async function callAgent<T extends z.ZodType>(
  channel: IKernelChannel,
  name: string,
  args: unknown,
  schema: T,
  timeoutMs?: number
): Promise<z.output<T>> {
  const answer = decodeAnswer(
    name,
    await channel.evaluate(callExpression(name, args), timeoutMs, `the agent call ${name}`)
  );
  const parsed = schema.safeParse(answer);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const error = (answer as { error?: unknown } | null)?.error;
    throw new MigrationError(
      typeof error === 'string' && error
        ? `the kernel agent could not ${name}: ${error}`
        : `the kernel agent answered ${name} with a malformed result (${issue.path.join('.') || 'result'}: ${issue.message})`
    );
  }
  return parsed.data;
}

/** The agent calls, typed. No call has a time limit: a 2 GB payload takes what it takes. */
export class AgentCalls {
  constructor(private readonly channel: IKernelChannel) {}

  /**
   * Whether the agent records in this kernel, and how far it is. The request waits behind whatever
   * the kernel is running (asked during a long cell, it answers after it), unless `signal` aborts.
   */
  async status(signal?: AbortSignal): Promise<IStatusReply> {
    const text = (await unlessAborted(this.channel.evaluate(STATUS_EXPRESSION), signal)).trim();
    let answer: unknown = null;
    try {
      answer = decodeAnswer('status', text);
    } catch {
      answer = null;
    }
    const status = agentReplySchemas.status.safeParse(answer);
    if (!status.success) {
      throw new MigrationError(`the kernel answered the agent status request with ${text.slice(0, 80)}`);
    }
    return status.data;
  }

  /** Serialize the groups into `stagingDir` and fingerprint every active variable. */
  checkpoint(args: {
    stagingDir: string;
    checkpointId: string;
    groups: Array<{ index: number; members: string[] }>;
    variables: string[];
    /** A file the agent appends `{index, file, bytes}` lines to as each group's file is written. */
    progressFile?: string;
  }): Promise<ICheckpointResult> {
    return callAgent(this.channel, 'checkpoint', args, agentReplySchemas.checkpoint);
  }

  /**
   * Set the random generators to their state before execution `execution`, as recorded in the
   * bundle's random-state file `random` (relative to `dir`).
   */
  async prepare(execution: number, states: { dir: string; random: string; checksum: string }): Promise<void> {
    const result = await callAgent(this.channel, 'prepare', { execution, ...states }, agentReplySchemas.prepare);
    if (!result.ok) {
      throw new MigrationError(
        `could not restore the random state before execution ${execution}: ${result.error ?? 'unknown error'}`
      );
    }
  }

  /** Load copied groups from `dir`. */
  load(args: {
    dir: string;
    groups: Array<{ index: number; members: string[]; file: string; checksum: string }>;
  }): Promise<ILoadResult> {
    return callAgent(this.channel, 'load', args, agentReplySchemas.load);
  }

  /** Import now the modules the re-runs `codes` import that the session had imported (nothing is bound). */
  imports(args: IImportsRequest): Promise<IImportsResult> {
    return callAgent(this.channel, 'imports', args, agentReplySchemas.imports);
  }

  /**
   * Run restore steps in order in one call (re-runs with their random states, loads), then,
   * when every step ran and `finish` is given, verify and adopt. The answer says which steps ran
   * and why it stopped early (a spent `budgetMs`, a failed load, a re-run needing the kernel's
   * event loop). A failure of the call itself (an unreadable random-state file) rejects.
   */
  async restore(args: {
    steps: IRestoreCallStep[];
    dir: string | null;
    random: { dir: string; file: string; checksum: string } | null;
    budgetMs: number | null;
    imports?: IImportsRequest;
    finish?: { fingerprints: Record<string, IFingerprint>; adopt: { dir: string; history: string; random: string } };
  }): Promise<IRestoreResult> {
    const result = await callAgent(this.channel, 'restore', args, agentReplySchemas.restore);
    if (!result.ok) {
      throw new MigrationError(result.error ?? 'the kernel agent could not run the restore steps');
    }
    return result;
  }

  /** Compare every variable with its checkpoint-time fingerprint. */
  verify(fingerprints: Record<string, IFingerprint>): Promise<IVerification> {
    return callAgent(this.channel, 'verify', { fingerprints }, agentReplySchemas.verify);
  }

  /** Continue the checkpointed run in this kernel. */
  async adopt(args: { dir: string; history: string; random: string }): Promise<number> {
    const result = await callAgent(this.channel, 'adopt', args, agentReplySchemas.adopt);
    if (!result.ok) {
      throw new MigrationError(
        `the restored kernel could not continue the recorded history: ${result.error ?? 'unknown error'}`
      );
    }
    return result.records ?? 0;
  }
}
