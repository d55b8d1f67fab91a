/**
 * Checkpoint a recorded session into a bundle (docs/method.md section 4): plan, have the kernel agent write
 * one payload per copied group into a local staging folder, publish the payloads to the store, and
 * commit the manifest last, so that a bundle is either complete or not there at all.
 */
import { formatBytes, type IReplanned } from '@elastic-notebook/protocol';
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import path from 'path';
import { performance } from 'perf_hooks';
import { HistoryGraph } from '../ahg/graph';
import type { IExecutionRecord } from '../ahg/types';
import {
  fromGraph,
  groupKey,
  IFeasiblePlan,
  IPlanHistory,
  Measurements,
  Objective,
  parseMarks,
  plan,
  Plan
} from '../planner/index';
import { AgentCalls, ICheckpointResult, IHashed, IKernelChannel } from './agentCalls';
import { MigrationError } from './migrationError';
import { newCheckpointId } from '../bundle/checkpointId';
import { writeFileDurably } from '../durable';
import { followPayloadProgress } from './payloadProgress';
import { IBundleManifestInput, IMigrationStore, ITransferOptions } from './types';

/** The manifest format this code writes. */
export const BUNDLE_FORMAT_VERSION = 1;

/** What to checkpoint and where. */
export interface ICheckpointOptions extends ITransferOptions {
  /** The kernel whose session is checkpointed (agent loaded, every record acknowledged). */
  channel: IKernelChannel;
  /** The raw records of the kernel's current run, in seq order. */
  records: IExecutionRecord[];
  kernelId: string;
  runId: string;
  store: IMigrationStore;
  objective: Objective;
  /** User marks (planner marks JSON). */
  marks?: unknown;
  /** Measured throughputs for the cost model. */
  measurements?: Measurements;
  /** What earlier plans of this history (`historyKey`) left: decisions to keep, recent cell times. */
  previous?: IPlanHistory;
  notebook: { path: string | null; kernelName: string | null };
  /** Says what is happening now (for progress lines and the UI). */
  onStep?: (message: string) => void;
  /**
   * Called as soon as the agent has written (and fsynced) a group's payload file, while the
   * checkpoint goes on: `file` is bundle-relative (`payloads/<id>/g<k>.pkl`), `source` where it is.
   */
  onPayloadWritten?: (payload: IStagedPayload) => void;
}

/** A payload file the agent has written, before the checkpoint ends. */
export interface IStagedPayload {
  file: string;
  source: string;
  bytes: number;
}

/** The result of a checkpoint (also the core of the CLI's JSON). */
export interface ICheckpointOutcome {
  bundle: string;
  checkpointId: string;
  plan: IFeasiblePlan;
  /** Groups that looked serializable to the recorder but failed to serialize, and were replanned. */
  replanned: IReplanned[];
  /** Bytes written to the store. */
  bytes: number;
  timings: {
    totalMs: number;
    planMs: number;
    serializeMs: number;
    writeMs: number;
    publishMs: number;
    commitMs: number;
  };
  /** Of the fingerprints' time: hashing arrays' memory (the cost model prices it apart). */
  hashed: IHashed;
  manifest: IBundleManifestInput;
}

/** What a checkpoint reports to its caller (the CLI's JSON, the companion job's result). */
export interface ICheckpointSummary {
  bundle: string;
  checkpointId: string;
  plan: Omit<IFeasiblePlan, 'feasible'>;
  replanned: ICheckpointOutcome['replanned'];
  /** Executions in the checkpointed history. */
  executions: number;
  bytes: number;
  timings: ICheckpointOutcome['timings'];
}

/** The summary of a checkpoint outcome. */
export function summarizeCheckpoint(outcome: ICheckpointOutcome): ICheckpointSummary {
  const { feasible: _feasible, ...plan } = outcome.plan;
  return {
    bundle: outcome.bundle,
    checkpointId: outcome.checkpointId,
    plan,
    replanned: outcome.replanned,
    executions: outcome.manifest.history.records,
    bytes: outcome.bytes,
    timings: outcome.timings
  };
}

/** Rebuild the history graph of a run from its records. */
export function graphOf(records: IExecutionRecord[]): HistoryGraph {
  const graph = new HistoryGraph();
  records.forEach(record => graph.add(record));
  return graph;
}

/** Key of a group: its sorted members (plans and manifests list the same group's members alike). */
export { groupKey };

/** The plan, or a MigrationError saying why none exists and what to do. */
export function feasiblePlan(result: Plan): IFeasiblePlan {
  if (!result.feasible) {
    const { message, suggestions } = result.infeasibility;
    throw new MigrationError(
      `no checkpoint plan exists: ${message}${suggestions.length ? ` ${suggestions.join(' ')}` : ''}`
    );
  }
  return result;
}

/** Checkpoint the session into `options.store`. */
export async function checkpoint(options: ICheckpointOptions): Promise<ICheckpointOutcome> {
  const started = performance.now();
  const step = options.onStep ?? (() => undefined);
  const agent = new AgentCalls(options.channel);
  const graph = graphOf(options.records);
  const marks = parseMarks(options.marks ?? {});
  const checkpointId = newCheckpointId();
  const staging = await options.store.stagingDir(checkpointId);
  const payloadDir = `payloads/${checkpointId}`;

  try {
    // Plan, serialize what the plan copies; a group that fails to serialize is replanned as
    // "never copy" (recomputed instead) rather than failing the checkpoint.
    const written = new Map<string, { file: string; bytes: number; checksum: string; serializer: string | null }>();
    const replanned: Array<{ members: string[]; reason: string }> = [];
    let planMs = 0;
    let serializeMs = 0;
    let writeMs = 0;
    const hashed: IHashed = { bytes: 0, ms: 0 };
    let agentResult: ICheckpointResult | null = null;
    let current: IFeasiblePlan;
    for (;;) {
      step('planning');
      const t0 = performance.now();
      current = feasiblePlan(
        plan(
          fromGraph(graph, {
            objective: options.objective,
            measurements: options.measurements,
            marks,
            previous: options.previous,
            runId: options.runId
          })
        )
      );
      planMs += performance.now() - t0;
      const toWrite = current.groups
        .map((group, index) => ({ index, members: group.members }))
        .filter(({ index, members }) => current.groups[index].decision === 'copy' && !written.has(groupKey(members)));
      if (agentResult && toWrite.length === 0) {
        break;
      }
      const bytesPlanned = toWrite.reduce((sum, g) => sum + current.groups[g.index].sizeBytes, 0);
      step(`serializing ${toWrite.length} group(s), about ${formatBytes(bytesPlanned)}`);
      const active = graph.activeSnapshots().map(s => s.name);
      const result = await checkpointWatched(agent, options.onPayloadWritten, {
        stagingDir: staging,
        checkpointId,
        groups: toWrite,
        variables: active
      });
      agentResult = agentResult ?? result;
      serializeMs += result.serializeMs;
      writeMs += result.writeMs;
      hashed.bytes += result.hashed?.bytes ?? 0;
      hashed.ms += result.hashed?.ms ?? 0;
      const failed: string[] = [];
      for (const group of result.groups) {
        const members = current.groups[group.index]?.members;
        if (!members) {
          throw new MigrationError(`the kernel agent answered for group ${group.index}, which was not asked for`);
        }
        if (group.ok && group.file && group.checksum) {
          written.set(groupKey(members), {
            file: `${payloadDir}/${path.basename(group.file)}`,
            bytes: group.bytes,
            checksum: group.checksum,
            serializer: group.serializer ?? null
          });
        } else {
          replanned.push({ members, reason: group.error ?? 'could not be serialized' });
          failed.push(...members);
        }
      }
      if (failed.length === 0) {
        break;
      }
      marks.neverCopy = [...new Set([...marks.neverCopy, ...failed])].filter(name => !marks.alwaysCopy.includes(name));
      marks.alwaysCopy = marks.alwaysCopy.filter(name => !failed.includes(name));
    }

    // The run's raw records, so that the restored kernel continues the same history.
    const historyFile = `${payloadDir}/history.jsonl`;
    const historyText = options.records.map(r => JSON.stringify(r)).join('\n') + '\n';
    // The store fsyncs the folder when it publishes.
    await writeFileDurably(path.join(staging, 'history.jsonl'), historyText);

    const groups: IBundleManifestInput['groups'] = current.groups.map(group => {
      const payload = group.decision === 'copy' ? written.get(groupKey(group.members)) : undefined;
      const producedBy = new Set<number>();
      for (const name of group.members) {
        const producer = graph.activeSnapshot(name)?.producedBy;
        if (producer !== null && producer !== undefined) {
          producedBy.add(producer);
        }
      }
      return {
        members: group.members,
        decision: group.decision,
        file: payload?.file ?? null,
        bytes: payload?.bytes ?? 0,
        checksum: payload?.checksum ?? null,
        serializer: payload?.serializer ?? null,
        producedBy: [...producedBy].sort((a, b) => a - b)
      };
    });
    const random = agentResult!.random;
    const randomFile = `${payloadDir}/${path.basename(random.file)}`;
    const files = [...groups.filter(g => g.file).map(g => g.file as string), historyFile, randomFile];

    step(`writing the bundle to ${options.store.uri}`);
    const published = await options.store.publish(checkpointId, files, {
      onProgress: options.onProgress,
      signal: options.signal
    });
    const t1 = performance.now();
    const payloadBytes = groups.reduce((sum, g) => sum + g.bytes, 0);
    const manifest: IBundleManifestInput = {
      format: 'elastic-notebook-bundle',
      formatVersion: BUNDLE_FORMAT_VERSION,
      checkpointId,
      createdAt: new Date().toISOString(),
      notebook: options.notebook,
      source: agentResult!.source,
      ahg: graph.toJSON(options.kernelId, options.runId) as unknown as Record<string, unknown>,
      plan: current as unknown as Record<string, unknown>,
      marks: parseMarks(options.marks ?? {}) as unknown as Record<string, unknown>,
      history: {
        file: historyFile,
        records: options.records.length,
        bytes: Buffer.byteLength(historyText),
        checksum: `sha256:${createHash('sha256').update(historyText).digest('hex')}`
      },
      random: { file: randomFile, bytes: random.bytes, checksum: random.checksum },
      groups,
      fingerprints: agentResult!.fingerprints,
      stats: { serializeMs, writeMs, publishMs: published.ms, bytes: published.bytes, payloadBytes }
    };
    if (options.signal?.aborted) {
      throw new MigrationError('the checkpoint was cancelled; the previous bundle is unchanged');
    }
    await options.store.commit(manifest);
    const commitMs = performance.now() - t1;
    return {
      bundle: options.store.uri,
      checkpointId,
      plan: current,
      replanned,
      bytes: published.bytes,
      timings: {
        totalMs: performance.now() - started,
        planMs,
        serializeMs,
        writeMs,
        publishMs: published.ms,
        commitMs
      },
      hashed,
      manifest
    };
  } catch (err) {
    // Nothing of a failed or cancelled checkpoint may stay behind; the previous bundle is intact.
    await options.store.abandon(checkpointId).catch(() => undefined);
    throw err;
  }
}

/** The agent's checkpoint call, reporting each payload file as it is written when asked to. */
async function checkpointWatched(
  agent: AgentCalls,
  onPayloadWritten: ICheckpointOptions['onPayloadWritten'],
  args: Parameters<AgentCalls['checkpoint']>[0]
): Promise<ICheckpointResult> {
  if (!onPayloadWritten) {
    return agent.checkpoint(args);
  }
  // Beside the payloads while the call runs (the store publishes only the files it is given).
  const progressFile = path.join(args.stagingDir, '.written.jsonl');
  const follower = followPayloadProgress(progressFile, written =>
    onPayloadWritten({
      file: `payloads/${args.checkpointId}/${written.file}`,
      source: path.join(args.stagingDir, written.file),
      bytes: written.bytes
    })
  );
  try {
    return await agent.checkpoint({ ...args, progressFile });
  } finally {
    await follower.stop();
    await fs.rm(progressFile, { force: true });
  }
}
