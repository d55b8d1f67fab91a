/**
 * Restore a bundle into a fresh kernel (docs/method.md section 5): re-run the planned executions in their
 * original order with the random generators as they were, load each copied group right after the
 * execution that produced it, fall back to recomputing any group whose payload fails, verify
 * every variable against its checkpoint-time fingerprint, and let the kernel continue the
 * recorded history so that it can be checkpointed again.
 *
 * The fixed cost is kept small: the kernel starts (and imports the modules the re-runs import)
 * while the payloads are fetched, and the steps, the verification and the adoption go to the
 * agent in one call (runSteps.ts), so a small restore is one round trip after the bootstrap.
 */
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import path from 'path';
import { performance } from 'perf_hooks';
import type { HistoryGraph } from '../ahg/graph';
import type { IExecutionRecord } from '../ahg/types';
import type { IFetchResult } from '../storage/store';
import { DEFAULT_OBJECTIVE, type IReplanned } from '@elastic-notebook/protocol';
import { fromGraph, IFeasiblePlan, Measurements, Objective, OBJECTIVES, parseMarks, plan } from '../planner/index';
import {
  AgentCalls,
  IHashed,
  IImportsRequest,
  IImportsResult,
  IKernelChannel,
  IRestoreCallStep,
  IVerification
} from './agentCalls';
import { feasiblePlan, graphOf, groupKey } from './checkpoint';
import { MigrationError } from './migrationError';
import { IPlannedWork, plannedWork } from './measurementLog';
import { restoreSteps } from './restoreSteps';
import { IArrivingPayloads, runSteps } from './runSteps';
import { IBundleManifest, IMigrationStore, ITransferOptions } from './types';

/** A fresh kernel with the agent loaded, for one restore attempt. */
export interface IRestoreKernel extends IKernelChannel {
  /** Shut it down (after a failed attempt). */
  close(): Promise<void>;
  /**
   * How long opening took, in parts, when the opener knows them: starting (or restarting) the
   * kernel until it answers, and loading the agent. Without them the whole opening counts as the start.
   */
  startMs?: number;
  bootstrapMs?: number;
}

/** Where to restore from and how to get kernels. */
export interface IRestoreOptions extends ITransferOptions {
  store: IMigrationStore;
  /**
   * Start a fresh kernel for the notebook (its folder is the working directory) with the agent
   * loaded. The first one is asked for once the bundle's history is known good, while the
   * payloads are still being fetched.
   */
  openKernel: (manifest: IBundleManifest) => Promise<IRestoreKernel>;
  onStep?: (message: string) => void;
  /** Time after which the agent hands back control between steps (progress, cancellation), ms. */
  stepBudgetMs?: number;
  /** Payload files still arriving in the store's folder: each load waits for its files (runSteps.ts). */
  arriving?: IArrivingPayloads;
}

/** A group that was recomputed although the checkpoint copied it. */
export type IFallback = IReplanned;

/** An execution whose re-run ended differently from the recorded run. */
export interface IReplayProblem {
  execution: number;
  cellIndex: number | null;
  expected: string | null;
  got: string | null;
}

/**
 * Where a restore's time went, ms. The kernel starts (and imports) while the payloads are
 * fetched, so phases can overlap in time; `totalMs` is the wall-clock time of the whole restore.
 * `kernelStartMs` and `bootstrapMs` add up every attempt, the other phases are those of the
 * attempt that succeeded.
 */
export interface IRestoreTimings {
  totalMs: number;
  /** Reading the history, random states and payloads from the store. */
  fetchMs: number;
  /** Starting (or restarting) the kernel until it answers. */
  kernelStartMs: number;
  /** Loading the agent into it. */
  bootstrapMs: number;
  /** First imports of modules: the session's modules imported early, and first imports during loads. */
  importMs: number;
  /** How many modules those first imports loaded (the planner learns the time per module). */
  modulesImported: number;
  /** Loading copied groups, first imports left out. */
  loadMs: number;
  /** Re-running executions, random states included. */
  rerunMs: number;
  verifyMs: number;
  /** Making the kernel continue the recorded history. */
  adoptMs: number;
  /** Agent calls and execute requests the steps took (one for a small restore). */
  roundTrips: number;
  attempts: number;
}

/** The result of a restore (also the core of the CLI's JSON). */
export interface IRestoreOutcome {
  bundle: string;
  checkpointId: string;
  /** Variables loaded from payloads, sorted. */
  loaded: string[];
  /** Executions re-run, ascending. */
  rerun: number[];
  fallback: IFallback[];
  replayProblems: IReplayProblem[];
  verification: IVerification;
  /** The kernel holding the restored session (the caller decides whether to keep it). */
  kernel: IRestoreKernel;
  /** Where the time went, ms (see `IRestoreTimings`). */
  timings: IRestoreTimings;
  /** Bytes fetched from the store, and payload bytes loaded into the kernel. */
  bytes: { fetched: number; loaded: number };
  /** Of verifying: hashing arrays' memory (the cost model prices it apart). */
  hashed: IHashed;
  /** What the carried-out plan priced, for the cost model's observations. */
  planned: IPlannedWork;
  source: IBundleManifest['source'];
}

/** Load the run's records from the fetched history file, checking its checksum. */
async function readHistory(dir: string, manifest: IBundleManifest): Promise<IExecutionRecord[]> {
  const file = path.join(dir, manifest.history.file);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new MigrationError(
      `the bundle's history file ${manifest.history.file} cannot be read: ${(err as Error).message}`
    );
  }
  const [algorithm, expected] = manifest.history.checksum.split(':');
  const actual = algorithm === 'sha256' ? createHash('sha256').update(text).digest('hex') : null;
  if (actual !== expected) {
    throw new MigrationError(
      `the bundle's history file ${manifest.history.file} is damaged (checksum mismatch); ` +
        'without it nothing can be recomputed: checkpoint the session again'
    );
  }
  return text
    .split('\n')
    .filter(line => line.trim() !== '')
    .map(line => JSON.parse(line) as IExecutionRecord);
}

/** The executions that read the active snapshot of any of `members`. */
function readersOf(graph: HistoryGraph, members: string[]): number[] {
  const active = new Set(members.map(name => graph.activeSnapshot(name)?.id).filter(id => id !== undefined));
  return graph.executions.filter(e => e.inputs.some(id => active.has(id))).map(e => e.index);
}

/** The cost numbers a plan was made with, to replan with the same model. */
function measurementsOf(planned: IFeasiblePlan): Measurements {
  const {
    weights: _weights,
    measured: _measured,
    ...numbers
  } = planned.costModel as unknown as Record<string, unknown>;
  return numbers as Measurements;
}

/** A kernel opened for an attempt, with how long its parts took. */
interface IOpened {
  kernel: IRestoreKernel;
  startMs: number;
  bootstrapMs: number;
}

/** Open a kernel with `options.openKernel`, timing it. */
async function openTimed(options: IRestoreOptions, manifest: IBundleManifest): Promise<IOpened> {
  const t0 = performance.now();
  const kernel = await options.openKernel(manifest);
  const total = performance.now() - t0;
  const bootstrapMs = kernel.bootstrapMs ?? 0;
  return { kernel, startMs: kernel.startMs ?? Math.max(0, total - bootstrapMs), bootstrapMs };
}

/** Restore the bundle in `options.store`. */
export async function restore(options: IRestoreOptions): Promise<IRestoreOutcome> {
  const started = performance.now();
  const step = options.onStep ?? (() => undefined);
  step(`reading ${options.store.uri}`);
  const manifest = await options.store.readManifest();
  let current = manifest.plan as unknown as IFeasiblePlan;
  if (!current?.feasible || !Array.isArray(current.rerun) || current.groups?.length !== manifest.groups.length) {
    throw new MigrationError(`the bundle ${options.store.uri} has no usable plan in its manifest`);
  }
  const objective: Objective = OBJECTIVES.includes(current.objective) ? current.objective : DEFAULT_OBJECTIVE;
  const manifestIndexOf = new Map(manifest.groups.map((group, index) => [groupKey(group.members), index]));
  // Payloads missing from the store (or cut short) are recomputed instead, from the start.
  const missing = new Set(await options.store.missingFiles(manifest));
  for (const needed of [manifest.history.file, manifest.random.file]) {
    if (missing.has(needed)) {
      throw new MigrationError(
        `the bundle ${options.store.uri} is damaged: ${needed} is missing or incomplete, and without it nothing can be replayed; checkpoint the session again`
      );
    }
  }
  const fallback: IFallback[] = [];
  const unusable = new Set<number>(); // manifest groups whose payload cannot be used
  manifest.groups.forEach((g, index) => {
    if (g.decision === 'copy' && g.file && missing.has(g.file)) {
      unusable.add(index);
      fallback.push({ members: g.members, reason: `payload ${g.file} is missing from the bundle or incomplete` });
    }
  });
  const copiedFiles = manifest.groups
    .filter(g => g.decision === 'copy' && g.file && !missing.has(g.file))
    .map(g => g.file as string);
  const fetches: IFetchResult[] = [];
  const fetchOf = async (files: string[], transfer: ITransferOptions): Promise<IFetchResult> => {
    const fetched = await options.store.fetch(manifest, files, transfer);
    fetches.push(fetched);
    return fetched;
  };
  try {
    // The history first (small): the kernel, which may be the user's own, is not touched
    // until the bundle is known to be replayable.
    const base = await fetchOf([manifest.history.file, manifest.random.file], { signal: options.signal });
    const records = await readHistory(base.dir, manifest);
    const randomStates = { dir: base.dir, file: manifest.random.file, checksum: manifest.random.checksum };
    const adoptFiles = { dir: base.dir, history: manifest.history.file, random: manifest.random.file };
    const graph = graphOf(records);
    const marks = parseMarks(manifest.marks ?? {});
    /** A new plan that recomputes every group without a usable payload (docs/method.md section 5 fallback). */
    const replan = (): IFeasiblePlan => {
      const neverCopy = new Set(marks.neverCopy);
      manifest.groups.forEach((g, index) => {
        if (g.decision !== 'copy' || unusable.has(index)) {
          g.members.forEach(m => neverCopy.add(m));
        }
      });
      const replanMarks = {
        ...marks,
        neverCopy: [...neverCopy].sort(),
        alwaysCopy: marks.alwaysCopy.filter(m => !neverCopy.has(m))
      };
      return feasiblePlan(
        plan(fromGraph(graph, { objective, measurements: measurementsOf(current), marks: replanMarks }))
      );
    };
    if (unusable.size > 0) {
      step(`recomputing instead of loading: ${fallback.map(f => f.members.join(', ')).join('; ')}`);
      current = replan();
    }
    /** What the early imports need: the re-runs of the plan, and the modules the session had. */
    const importsRequest = (): IImportsRequest => ({
      codes: current.rerun.map(e => records[e].code),
      available: Object.keys(manifest.source?.modules ?? {})
    });

    // The payloads are fetched while the kernel starts and imports the session's modules.
    step('fetching the payloads');
    // A kernel that cannot be opened stops the fetch too (no point in waiting for it).
    const stopFetch = new AbortController();
    const cancel = () => stopFetch.abort();
    options.signal?.addEventListener('abort', cancel, { once: true });
    if (options.signal?.aborted) {
      cancel();
    }
    let fetching = true;
    const payloads = fetchOf(copiedFiles, { onProgress: options.onProgress, signal: stopFetch.signal }).finally(() => {
      fetching = false;
      options.signal?.removeEventListener('abort', cancel);
    });
    let earlyImports: IImportsResult | null = null;
    const first = openTimed(options, manifest).then(
      async opened => {
        if (fetching && !options.signal?.aborted) {
          step("importing the session's modules while the payloads arrive");
          earlyImports = await new AgentCalls(opened.kernel).imports(importsRequest()).catch(() => null);
        }
        return opened;
      },
      err => {
        cancel();
        throw err;
      }
    );
    const [fetchedOutcome, firstOutcome] = await Promise.allSettled([payloads, first]);
    if (firstOutcome.status === 'rejected') {
      throw firstOutcome.reason;
    }
    if (fetchedOutcome.status === 'rejected' || options.signal?.aborted) {
      await firstOutcome.value.kernel.close().catch(() => undefined);
      throw options.signal?.aborted
        ? new MigrationError('the restore was cancelled')
        : fetchedOutcome.status === 'rejected'
          ? fetchedOutcome.reason
          : null;
    }
    const fetched = fetchedOutcome.value;
    let attempts = 0;
    let kernelStartMs = 0;
    let bootstrapMs = 0;
    for (;;) {
      attempts += 1;
      const opened = attempts === 1 ? firstOutcome.value : await openTimed(options, manifest);
      const { kernel } = opened;
      kernelStartMs += opened.startMs;
      bootstrapMs += opened.bootstrapMs;
      const agent = new AgentCalls(kernel);
      try {
        // The copied groups of the plan, by plan index, with their manifest entry.
        const copied = new Map<number, { entry: IBundleManifest['groups'][number]; manifestIndex: number }>();
        current.groups.forEach((group, index) => {
          if (group.decision !== 'copy') {
            return;
          }
          const manifestIndex = manifestIndexOf.get(groupKey(group.members)) ?? -1;
          const entry = manifest.groups[manifestIndex];
          if (!entry?.file || !entry.checksum) {
            throw new MigrationError(
              `the plan copies ${group.members.join(', ')} but the bundle has no payload for it`
            );
          }
          copied.set(index, { entry, manifestIndex });
        });
        const order = restoreSteps(
          current.rerun,
          [...copied].map(([index, { entry }]) => ({
            index,
            producedBy: entry.producedBy,
            readBy: readersOf(graph, entry.members)
          }))
        );
        const messages: string[] = [];
        let reruns = 0;
        const steps: IRestoreCallStep[] = order.map(s => {
          if (s.kind === 'rerun') {
            reruns += 1;
            const execution = records[s.execution];
            messages.push(
              `re-running execution ${s.execution} (cell ${execution.cellIndex ?? '?'}), ${reruns} of ${current.rerun.length}`
            );
            return { kind: 'rerun', execution: s.execution, code: execution.code };
          }
          const groups = s.groups.map(index => {
            const { entry } = copied.get(index)!;
            return { index, members: entry.members, file: entry.file as string, checksum: entry.checksum as string };
          });
          messages.push(`loading ${groups.map(g => g.members.join(', ')).join('; ')}`);
          return { kind: 'load', groups };
        });
        const run = await runSteps({
          agent,
          kernel,
          steps,
          messages,
          dir: fetched.dir,
          random: randomStates,
          finish: { fingerprints: manifest.fingerprints, adopt: adoptFiles },
          // A fallback attempt's kernel is fresh: it imports at the start of its steps.
          imports: attempts === 1 && earlyImports ? undefined : importsRequest(),
          budgetMs: options.stepBudgetMs,
          signal: options.signal,
          step,
          arriving: options.arriving
        });
        const loaded = new Set<string>(); // a group may be loaded twice (see restoreSteps)
        let loadedBytes = 0;
        for (const answer of run.loads) {
          const { entry, manifestIndex } = copied.get(answer.index) ?? {};
          if (!entry || manifestIndex === undefined) {
            continue;
          }
          if (answer.ok) {
            entry.members.forEach(name => loaded.add(name));
            loadedBytes += answer.bytes;
          } else {
            unusable.add(manifestIndex);
            fallback.push({ members: entry.members, reason: answer.error ?? 'the payload could not be loaded' });
          }
        }
        if (run.failedLoad) {
          // Start over in a fresh kernel with a new plan that recomputes what cannot be loaded.
          await kernel.close().catch(() => undefined);
          step(`falling back: recomputing ${fallback.map(f => f.members.join(', ')).join('; ')}`);
          current = replan();
          continue;
        }
        // A payload that loads but does not match the checkpoint (a library whose unpickling
        // changes state: statsmodels' NegativeBinomial resets `_transparams`) is recomputed
        // instead in a fresh kernel when the history allows it; otherwise it is reported.
        const mismatched = mismatchedCopies(run.verification, copied);
        if (mismatched.length > 0) {
          mismatched.forEach(m => unusable.add(m.manifestIndex));
          let retry: IFeasiblePlan | null = null;
          try {
            retry = replan();
          } catch (err) {
            if (!(err instanceof MigrationError)) {
              throw err;
            }
            mismatched.forEach(m => unusable.delete(m.manifestIndex));
          }
          if (retry) {
            for (const m of mismatched) {
              fallback.push({
                members: m.members,
                reason: `its payload loaded but ${m.differ.join(', ')} did not match the checkpoint (the library's pickling does not keep it whole)`
              });
            }
            await kernel.close().catch(() => undefined);
            step(
              `recomputing what did not load as checkpointed: ${mismatched.map(m => m.members.join(', ')).join('; ')}`
            );
            current = retry;
            continue;
          }
        }
        const replayProblems: IReplayProblem[] = [];
        for (const { execution, error } of run.reruns) {
          const record = records[execution];
          if ((error === null) !== (record.error === null)) {
            replayProblems.push({ execution, cellIndex: record.cellIndex ?? null, expected: record.error, got: error });
          }
        }
        const earlyResult = attempts === 1 ? (earlyImports as IImportsResult | null) : null;
        const early = earlyResult?.importMs ?? 0;
        return {
          bundle: options.store.uri,
          checkpointId: manifest.checkpointId,
          loaded: [...loaded].sort(),
          rerun: current.rerun,
          fallback,
          replayProblems,
          verification: run.verification as IVerification,
          kernel,
          timings: {
            totalMs: performance.now() - started,
            fetchMs: fetches.reduce((sum, f) => sum + f.ms, 0),
            kernelStartMs,
            bootstrapMs,
            importMs: early + run.importMs,
            modulesImported: (earlyResult?.modulesImported ?? 0) + run.modulesImported,
            loadMs: run.loadMs,
            rerunMs: run.rerunMs,
            verifyMs: run.verifyMs,
            adoptMs: run.adoptMs,
            roundTrips: run.roundTrips,
            attempts
          },
          bytes: { fetched: fetches.reduce((sum, f) => sum + f.bytes, 0), loaded: loadedBytes },
          hashed: run.hashed,
          planned: plannedWork(current, records),
          source: manifest.source
        };
      } catch (err) {
        await kernel.close().catch(() => undefined);
        throw err;
      }
    }
  } finally {
    await Promise.all(fetches.map(f => f.cleanup()));
  }
}

/** The copied groups with a member the verification found different from the checkpoint. */
function mismatchedCopies(
  verification: IVerification | null,
  copied: Map<number, { entry: IBundleManifest['groups'][number]; manifestIndex: number }>
): Array<{ members: string[]; differ: string[]; manifestIndex: number }> {
  const differ = new Set(verification?.differ ?? []);
  const found: Array<{ members: string[]; differ: string[]; manifestIndex: number }> = [];
  for (const { entry, manifestIndex } of copied.values()) {
    const names = entry.members.filter(m => differ.has(m));
    if (names.length > 0) {
      found.push({ members: entry.members, differ: names, manifestIndex });
    }
  }
  return found;
}
