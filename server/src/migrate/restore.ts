/**
 * Restore a bundle into a fresh kernel (DESIGN.md 2.5): re-run the planned executions in their
 * original order with the random generators as they were, load each copied group right after the
 * execution that produced it, fall back to recomputing any group whose payload fails, verify
 * every variable against its checkpoint-time fingerprint, and let the kernel continue the
 * recorded history so that it can be checkpointed again.
 */
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import path from 'path';
import { performance } from 'perf_hooks';
import type { HistoryGraph } from '../ahg/graph';
import type { IExecutionRecord } from '../ahg/types';
import { fromGraph, IFeasiblePlan, Measurements, Objective, OBJECTIVES, parseMarks, plan } from '../planner/index';
import { AgentCalls, IKernelChannel, IVerification } from './agentCalls';
import { feasiblePlan, graphOf, groupKey } from './checkpoint';
import { MigrationError } from './migrationError';
import { restoreSteps } from './restoreSteps';
import { IBundleManifest, IMigrationStore, ITransferOptions } from './types';

/** A fresh kernel with the agent loaded, for one restore attempt. */
export interface IRestoreKernel extends IKernelChannel {
  /** Shut it down (after a failed attempt). */
  close(): Promise<void>;
}

/** Where to restore from and how to get kernels. */
export interface IRestoreOptions extends ITransferOptions {
  store: IMigrationStore;
  /** Start a fresh kernel for the notebook (its folder is the working directory) with the agent loaded. */
  openKernel: (manifest: IBundleManifest) => Promise<IRestoreKernel>;
  onStep?: (message: string) => void;
}

/** A group that was recomputed although the checkpoint copied it. */
export interface IFallback {
  members: string[];
  reason: string;
}

/** An execution whose re-run ended differently from the recorded run. */
export interface IReplayProblem {
  execution: number;
  cellIndex: number | null;
  expected: string | null;
  got: string | null;
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
  /** `importMs`: the part of `loadMs` spent on first imports of modules (not a cost of copying). */
  timings: { totalMs: number; fetchMs: number; rerunMs: number; loadMs: number; importMs: number; verifyMs: number; attempts: number };
  /** Bytes fetched from the store, and payload bytes loaded into the kernel. */
  bytes: { fetched: number; loaded: number };
  source: IBundleManifest['source'];
}

/** Load the run's records from the fetched history file, checking its checksum. */
async function readHistory(dir: string, manifest: IBundleManifest): Promise<IExecutionRecord[]> {
  const file = path.join(dir, manifest.history.file);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new MigrationError(`the bundle's history file ${manifest.history.file} cannot be read: ${(err as Error).message}`);
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
  const { weights: _weights, measured: _measured, ...numbers } = planned.costModel as unknown as Record<string, unknown>;
  return numbers as Measurements;
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
  const objective: Objective = OBJECTIVES.includes(current.objective) ? current.objective : 'balanced';
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
  const copiedFiles = manifest.groups.filter(g => g.decision === 'copy' && g.file && !missing.has(g.file)).map(g => g.file as string);
  step('fetching the payloads');
  const fetched = await options.store.fetch(manifest, [...copiedFiles, manifest.history.file, manifest.random.file], {
    onProgress: options.onProgress,
    signal: options.signal
  });
  try {
    const records = await readHistory(fetched.dir, manifest);
    const randomStates = { dir: fetched.dir, random: manifest.random.file, checksum: manifest.random.checksum };
    const graph = graphOf(records);
    const marks = parseMarks(manifest.marks ?? {});
    /** A new plan that recomputes every group without a usable payload (DESIGN.md 2.5 fallback). */
    const replan = (): IFeasiblePlan => {
      const neverCopy = new Set(marks.neverCopy);
      manifest.groups.forEach((g, index) => {
        if (g.decision !== 'copy' || unusable.has(index)) {
          g.members.forEach(m => neverCopy.add(m));
        }
      });
      const replanMarks = { ...marks, neverCopy: [...neverCopy].sort(), alwaysCopy: marks.alwaysCopy.filter(m => !neverCopy.has(m)) };
      return feasiblePlan(plan(fromGraph(graph, { objective, measurements: measurementsOf(current), marks: replanMarks })));
    };
    if (unusable.size > 0) {
      step(`recomputing instead of loading: ${fallback.map(f => f.members.join(', ')).join('; ')}`);
      current = replan();
    }
    let attempts = 0;
    for (;;) {
      attempts += 1;
      const kernel = await options.openKernel(manifest);
      const agent = new AgentCalls(kernel);
      let rerunMs = 0;
      let loadMs = 0;
      let importMs = 0;
      let loadedBytes = 0;
      const replayProblems: IReplayProblem[] = [];
      const loaded = new Set<string>(); // a group may be loaded twice (see restoreSteps)
      let failedLoad = false;
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
            throw new MigrationError(`the plan copies ${group.members.join(', ')} but the bundle has no payload for it`);
          }
          copied.set(index, { entry, manifestIndex });
        });
        const steps = restoreSteps(
          current.rerun,
          [...copied].map(([index, { entry }]) => ({ index, producedBy: entry.producedBy, readBy: readersOf(graph, entry.members) }))
        );
        let done = 0;
        for (const s of steps) {
          if (options.signal?.aborted) {
            throw new MigrationError('the restore was cancelled');
          }
          if (s.kind === 'rerun') {
            const execution = records[s.execution];
            done += 1;
            step(`re-running execution ${s.execution} (cell ${execution.cellIndex ?? '?'}), ${done} of ${current.rerun.length}`);
            const t0 = performance.now();
            await agent.prepare(s.execution, randomStates);
            const error = await kernel.runSilently(execution.code);
            rerunMs += performance.now() - t0;
            if ((error === null) !== (execution.error === null)) {
              replayProblems.push({ execution: s.execution, cellIndex: execution.cellIndex ?? null, expected: execution.error, got: error });
            }
          } else {
            const groups = s.groups.map(index => {
              const { entry } = copied.get(index)!;
              return { index, members: entry.members, file: entry.file as string, checksum: entry.checksum as string };
            });
            step(`loading ${groups.map(g => g.members.join(', ')).join('; ')}`);
            const t0 = performance.now();
            const result = await agent.load({ dir: fetched.dir, groups });
            loadMs += performance.now() - t0;
            for (const answer of result.groups) {
              const group = groups.find(g => g.index === answer.index);
              if (!group) {
                continue;
              }
              importMs += answer.importMs;
              if (answer.ok) {
                group.members.forEach(name => loaded.add(name));
                loadedBytes += answer.bytes;
              } else {
                failedLoad = true;
                unusable.add(copied.get(group.index)!.manifestIndex);
                fallback.push({ members: group.members, reason: answer.error ?? 'the payload could not be loaded' });
              }
            }
            if (failedLoad) {
              break;
            }
          }
        }
        if (failedLoad) {
          // Start over in a fresh kernel with a new plan that recomputes what cannot be loaded.
          await kernel.close().catch(() => undefined);
          step(`falling back: recomputing ${fallback.map(f => f.members.join(', ')).join('; ')}`);
          current = replan();
          continue;
        }
        step('verifying the restored variables');
        const t0 = performance.now();
        const verification = await agent.verify(manifest.fingerprints);
        const verifyMs = performance.now() - t0;
        step('continuing the recorded history in the restored kernel');
        await agent.adopt({ dir: fetched.dir, history: manifest.history.file, random: manifest.random.file });
        return {
          bundle: options.store.uri,
          checkpointId: manifest.checkpointId,
          loaded: [...loaded].sort(),
          rerun: current.rerun,
          fallback,
          replayProblems,
          verification,
          kernel,
          timings: { totalMs: performance.now() - started, fetchMs: fetched.ms, rerunMs, loadMs, importMs, verifyMs, attempts },
          bytes: { fetched: fetched.bytes, loaded: loadedBytes },
          source: manifest.source
        };
      } catch (err) {
        await kernel.close().catch(() => undefined);
        throw err;
      }
    }
  } finally {
    await fetched.cleanup();
  }
}
