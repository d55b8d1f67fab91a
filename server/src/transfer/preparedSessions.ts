/**
 * Sessions a target prepares for a migration while the source still checkpoints (docs/internals.md,
 * "A migration, end to end"): announced with the transfer (`POST /api/incoming` with `prepare`),
 * each opens a session for the notebook with a new kernel, loads the agent and imports the
 * session's modules at once; the restore of the same transfer then takes the kernel as it is
 * instead of starting one.
 *
 * Nothing is left behind: a prepared session is ended when its transfer is cancelled, when its
 * preparation fails, and when no restore takes it within {@link PREPARED_TIMEOUT_MS} (the source
 * gone for good); the transfer's files go with it then.
 */
import type { IPreparedTimes } from '@elastic-notebook/protocol';
import type { IIncomingStatus } from '@elastic-notebook/protocol';
import { errorMessage } from '../bundle/errors';
import type { IKernelAccess } from '../companion/kernelAccess';
import { AgentCalls } from '../migrate/agentCalls';

/** How long a prepared session waits for its restore before it is ended (10 minutes). */
export const PREPARED_TIMEOUT_MS = 10 * 60 * 1000;

/** What to prepare (a validated `prepare` field). */
export interface IPrepareRequest {
  notebookPath: string;
  kernelName: string | null;
  modules: string[];
  codes: string[];
}

/** A session prepared for a transfer's restore. */
export interface IPreparedSession {
  notebookPath: string;
  kernelName: string | null;
  /** Resolves with the session once the kernel answers with the agent loaded; rejects when that failed. */
  ready: Promise<{ kernelId: string; sessionId: string }>;
  /** When the preparation went how far (epoch ms, this machine's clock). */
  times: IPreparedTimes;
  /** How long starting the kernel and loading the agent took, ms. */
  startMs: number;
  bootstrapMs: number;
}

/** What the prepared sessions need. */
export interface IPreparedSessionsOptions {
  kernels: () => IKernelAccess;
  /** Called when a prepared session expired unused: remove its transfer. */
  expire: (transferId: string) => Promise<void>;
  warn: (message: string) => void;
  timeoutMs?: number;
}

interface IEntry {
  session: IPreparedSession;
  state: 'starting' | 'ready' | 'failed';
  error: string | null;
  timer: NodeJS.Timeout;
}

/** The sessions prepared on this companion, by transfer id. */
export class PreparedSessions {
  private readonly entries = new Map<string, IEntry>();

  constructor(private readonly options: IPreparedSessionsOptions) {}

  /** Start preparing a session for `transferId` (returns at once; the work goes on in the background). */
  start(transferId: string, request: IPrepareRequest): void {
    const kernels = this.options.kernels();
    const times: IPreparedTimes = {
      startedAt: Date.now(),
      kernelReadyAt: null,
      importedAt: null,
      importMs: 0,
      modulesImported: 0
    };
    const session: IPreparedSession = {
      notebookPath: request.notebookPath,
      kernelName: request.kernelName,
      ready: Promise.resolve({ kernelId: '', sessionId: '' }),
      times,
      startMs: 0,
      bootstrapMs: 0
    };
    const timer = setTimeout(() => void this.expire(transferId), this.options.timeoutMs ?? PREPARED_TIMEOUT_MS);
    timer.unref();
    const entry: IEntry = { session, state: 'starting', error: null, timer };
    this.entries.set(transferId, entry);
    session.ready = (async () => {
      const t0 = Date.now();
      const ids = await kernels.createSession(request.notebookPath, request.kernelName);
      const t1 = Date.now();
      try {
        await kernels.bootstrap(ids.kernelId);
      } catch (err) {
        await kernels.deleteSession(ids.sessionId).catch(() => undefined);
        throw err;
      }
      session.startMs = t1 - t0;
      session.bootstrapMs = Date.now() - t1;
      times.kernelReadyAt = Date.now();
      entry.state = 'ready';
      return ids;
    })();
    session.ready.then(
      async ids => {
        if (request.modules.length === 0 || this.entries.get(transferId) !== entry) {
          return;
        }
        // Early imports are an optimization: a failure here is left to the restore's own imports.
        const imported = await new AgentCalls(kernels.channel(ids.kernelId))
          .imports({ codes: request.codes, available: request.modules })
          .catch(() => null);
        times.importedAt = Date.now();
        times.importMs = imported?.importMs ?? 0;
        times.modulesImported = imported?.modulesImported ?? 0;
      },
      err => {
        entry.state = 'failed';
        entry.error = errorMessage(err);
      }
    );
  }

  /** How far the session of `transferId` is, when one was asked for. */
  status(transferId: string): IIncomingStatus['prepare'] {
    const entry = this.entries.get(transferId);
    return entry ? { state: entry.state, error: entry.error } : undefined;
  }

  /**
   * Hand the prepared session of `transferId` to its restore (which ends it should it fail);
   * undefined when there is none. The expiry no longer applies to it.
   */
  take(transferId: string): IPreparedSession | undefined {
    const entry = this.entries.get(transferId);
    if (!entry) {
      return undefined;
    }
    clearTimeout(entry.timer);
    this.entries.delete(transferId);
    return entry.session;
  }

  /** End the prepared session of `transferId`, if any (its transfer was cancelled or is not used). */
  async end(transferId: string): Promise<void> {
    const session = this.take(transferId);
    if (!session) {
      return;
    }
    const ids = await session.ready.catch(() => null);
    if (ids) {
      await this.options
        .kernels()
        .deleteSession(ids.sessionId)
        .catch(err =>
          this.options.warn(`elastic-notebook: could not end prepared session ${ids.sessionId}: ${errorMessage(err)}`)
        );
    }
  }

  /** Whether a session is being prepared or waits for `transferId`'s restore. */
  has(transferId: string): boolean {
    return this.entries.has(transferId);
  }

  /** End every prepared session (the companion stops). */
  async endAll(): Promise<void> {
    await Promise.all([...this.entries.keys()].map(id => this.end(id)));
  }

  private async expire(transferId: string): Promise<void> {
    if (!this.entries.has(transferId)) {
      return;
    }
    await this.end(transferId);
    await this.options
      .expire(transferId)
      .catch(err =>
        this.options.warn(`elastic-notebook: could not remove transfer ${transferId}: ${errorMessage(err)}`)
      );
  }
}
