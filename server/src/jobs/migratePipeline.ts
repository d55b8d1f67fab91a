/**
 * The pipelined core of a migration (docs/internals.md, "A migration, end to end"): the target
 * prepares its kernel while the source checkpoints, and each payload file is sent as soon as the
 * agent has written it; what the checkpoint writes last (history, random states) follows, and
 * the manifest goes last of all. The phases are small functions so that the migrate job reads as
 * their sequence.
 */
import { promises as fs } from 'fs';
import path from 'path';
import type {
  IIncomingCreated,
  IMigratePipeline,
  IncomingRequestBody,
  IPreparedTimes
} from '@elastic-notebook/protocol';
import { manifestFiles, MANIFEST_FILE, parseManifestText } from '../bundle/manifest';
import { sessionModules } from '../targets/sessionModules';
import { INCOMING_API } from '../transfer/sendFiles';
import { ISentFile, PipelinedSender } from '../transfer/pipelinedSender';
import { TargetClient } from '../transfer/targetClient';
import type { ICheckpointJobRequest, ICheckpointJobResult } from './checkpointJob';
import { checkpointForMigration } from '../transfer/migrationCheckpoint';
import { IJobContext } from './job';
import type { IDirectMigrationRequest, IMigrateJobServices } from './migrateJob';

/** A phase's span, epoch ms. */
export interface ISpan {
  startAt: number;
  endAt: number;
}

/** Run `task`, answering its result and its span. */
export async function timed<T>(task: () => Promise<T>): Promise<{ value: T; span: ISpan }> {
  const startAt = Date.now();
  const value = await task();
  return { value, span: { startAt, endAt: Date.now() } };
}

/**
 * Open the transfer on the target, empty and open for files, and have the target prepare the
 * restore's session at once: a new kernel for the notebook, the agent, the session's modules.
 */
export async function openTransfer(
  client: TargetClient,
  services: IMigrateJobServices,
  request: IDirectMigrationRequest
): Promise<string> {
  const stored = await services.history.records(request.kernelId);
  const body: IncomingRequestBody = {
    files: [],
    open: true,
    prepare: {
      notebookPath: request.notebookPath,
      ...(request.kernelName ? { kernelName: request.kernelName } : {}),
      modules: await sessionModules(services.history, request.kernelId),
      codes: (stored?.records ?? []).map(record => record.code)
    }
  };
  // Not cut by a cancel: the target would keep a transfer and session the sender never heard of.
  const created = await client.json<IIncomingCreated>(INCOMING_API, { method: 'POST', json: body });
  return created.transferId;
}

/** What checkpointing while sending gave. */
export interface ISentCheckpoint {
  checkpointed: ICheckpointJobResult;
  checkpoint: ISpan;
  /** Sends what is still queued; every file of the bundle is announced to the target. */
  sender: PipelinedSender;
  /** When the manifest was written here (its modification time). */
  manifestWrittenAt: number;
}

/**
 * Checkpoint into `staging` while a sender sends each payload file to transfer `transferId` as
 * soon as it is written; then announce the rest of the bundle and send the manifest, history and
 * random states before the payloads still waiting, so that the target's restore can start while
 * they arrive. Answers once the manifest is on the target (the sender goes on). A failed send
 * stops the checkpoint (its error is the one reported).
 */
export async function checkpointWhileSending(
  client: TargetClient,
  transferId: string,
  services: IMigrateJobServices,
  request: IDirectMigrationRequest,
  staging: string,
  context: IJobContext,
  /** What the checkpoint prices the plan with (the target's bandwidth and CPU speed). */
  extra: { pricing?: ICheckpointJobRequest['pricing'] } = {}
): Promise<ISentCheckpoint> {
  // The checkpoint stops when the job is cancelled or a send fails.
  const stop = new AbortController();
  const cancel = () => stop.abort(context.signal.reason);
  context.signal.addEventListener('abort', cancel, { once: true });
  const sender = new PipelinedSender(
    client,
    transferId,
    {
      chunkBytes: services.chunkBytes,
      signal: context.signal,
      onProgress: (done, total) => context.progress(done, total),
      onRetry: message => context.step(message)
    },
    err => stop.abort(err)
  );
  context.step(`sending the checkpoint to ${client.label} (direct transfer)`);
  try {
    const { value: checkpointed, span: checkpoint } = await timed(() =>
      checkpointForMigration(
        services,
        request,
        staging,
        // Progress is the sender's (bytes that reached the target).
        { signal: stop.signal, step: message => context.step(message), progress: () => undefined },
        { ...extra, onPayloadWritten: payload => sender.add({ path: payload.file, source: payload.source }) }
      ).catch(async err => {
        // A failed send is why the checkpoint stopped: report that.
        await sender.finish();
        throw err;
      })
    );
    context.signal.throwIfAborted();
    const manifestPath = path.join(staging, MANIFEST_FILE);
    const manifest = parseManifestText(await fs.readFile(manifestPath, 'utf8'), MANIFEST_FILE);
    const local = (file: string) => ({ path: file, source: path.join(staging, ...file.split('/')) });
    // What the restore needs first goes first: the manifest, then history and random states.
    sender.add({ path: MANIFEST_FILE, source: manifestPath }, { urgent: true });
    for (const file of [manifest.history.file, manifest.random.file]) {
      sender.add(local(file), { urgent: true });
    }
    const files = manifestFiles(manifest).map(f => f.file);
    files.forEach(file => sender.add(local(file)));
    sender.keepOnly(new Set([MANIFEST_FILE, ...files]));
    await sender.announceQueued();
    await sender.whenSent(MANIFEST_FILE);
    await sender.whenSent(manifest.history.file);
    await sender.whenSent(manifest.random.file);
    return { checkpointed, checkpoint, sender, manifestWrittenAt: (await fs.stat(manifestPath)).mtimeMs };
  } finally {
    context.signal.removeEventListener('abort', cancel);
  }
}

/** Milliseconds of `span` during which at least one of `others` ran too. */
export function overlapMs(span: ISpan, others: Array<ISpan | null>): number {
  const clipped = others
    .filter((o): o is ISpan => o !== null)
    .map(o => ({ startAt: Math.max(o.startAt, span.startAt), endAt: Math.min(o.endAt, span.endAt) }))
    .filter(o => o.endAt > o.startAt)
    .sort((a, b) => a.startAt - b.startAt);
  let total = 0;
  let reached = -Infinity;
  for (const o of clipped) {
    const from = Math.max(o.startAt, reached);
    if (o.endAt > from) {
      total += o.endAt - from;
      reached = o.endAt;
    }
  }
  return total;
}

/** The target's preparation as a span (its clock), from its restore's result. */
export function preparedSpan(prepared: IPreparedTimes | null | undefined): ISpan | null {
  if (!prepared) {
    return null;
  }
  const endAt = prepared.importedAt ?? prepared.kernelReadyAt;
  return endAt === null ? null : { startAt: prepared.startedAt, endAt };
}

/** How the migration's phases overlapped, for its result. */
export function pipelineOf(
  phases: { check: ISpan; restore: ISpan },
  sent: ISentCheckpoint & { files: ISentFile[]; send: ISpan },
  prepared: IPreparedTimes | null | undefined
): IMigratePipeline {
  const prepare = preparedSpan(prepared);
  return {
    overlapMs: overlapMs(sent.checkpoint, [sent.send, prepare]),
    phases: { ...phases, checkpoint: sent.checkpoint, send: sent.send, prepare },
    manifestWrittenAt: sent.manifestWrittenAt,
    files: sent.files,
    preparedKernel: prepare !== null
  };
}
