/**
 * Running a restore's steps in the kernel (docs/checkpoint.md section 5) with as few round trips
 * as possible: the whole sequence goes to the agent's `restore` call, which runs the steps in
 * order, then verifies and adopts. The call returns early when
 *
 * - its time budget is spent: the orchestrator says how far it got and checks for cancellation
 *   before sending the rest (so a cancelled restore stops within one budget plus one step, as it
 *   stopped between steps before; interrupting the kernel instead would break a user's cell in
 *   the middle and leave its variables half made),
 * - a load failed: the caller falls back to recomputing the group,
 * - the next re-run needs the kernel's event loop (top-level `await`): it is sent as an execute
 *   request of its own, as ipykernel can run it only there, and the rest goes in the next call.
 */
import { performance } from 'perf_hooks';
import {
  AgentCalls,
  IFingerprint,
  IHashed,
  IImportsRequest,
  IImportsResult,
  IKernelChannel,
  IRestoreCallStep,
  IVerification
} from './agentCalls';
import { MigrationError } from './migrationError';

/** Default time after which the agent hands back control between steps, ms. */
export const STEP_BUDGET_MS = 250;

/** One load answer with what the orchestrator keeps of it. */
export interface ILoadOutcome {
  index: number;
  ok: boolean;
  error: string | null;
  importMs: number;
  bytes: number;
}

/** What the caller gives: the steps and what the agent needs to run them. */
export interface IStepRun {
  agent: AgentCalls;
  kernel: IKernelChannel;
  steps: IRestoreCallStep[];
  /** Progress message before step `i` is sent. */
  messages: string[];
  /** The folder of the payloads. */
  dir: string;
  random: { dir: string; file: string; checksum: string };
  finish: { fingerprints: Record<string, IFingerprint>; adopt: { dir: string; history: string; random: string } };
  /** Modules to import before the first step (when not imported already). */
  imports?: IImportsRequest;
  budgetMs?: number;
  signal?: AbortSignal;
  step: (message: string) => void;
  /**
   * Payload files still arriving (a pipelined migration's target): a load is sent only once its
   * files are complete, the steps before it go on meanwhile. Without it every file is there.
   */
  arriving?: IArrivingPayloads;
}

/** Payload files that may still be arriving in the restore's folder. */
export interface IArrivingPayloads {
  /** Whether `file` (bundle-relative) is complete. */
  complete(file: string): boolean;
  /** Resolves once every one of `files` is complete; rejects when that cannot happen any more. */
  wait(files: string[], signal?: AbortSignal): Promise<void>;
}

/** What running the steps gave. */
export interface IStepRunResult {
  reruns: Array<{ execution: number; error: string | null }>;
  loads: ILoadOutcome[];
  /** True when a load failed: the steps after it did not run, nor did verify and adopt. */
  failedLoad: boolean;
  imports: IImportsResult | null;
  verification: IVerification | null;
  /** Agent-measured phase times, ms: re-runs (random states included), loads without their first imports, first imports. */
  rerunMs: number;
  loadMs: number;
  importMs: number;
  /** How many modules the first imports of `importMs` loaded. */
  modulesImported: number;
  verifyMs: number;
  /** Of verifying: hashing arrays' memory. */
  hashed: IHashed;
  adoptMs: number;
  /** Agent calls and execute requests made. */
  roundTrips: number;
}

/** Run `run.steps`; see the module comment. */
export async function runSteps(run: IStepRun): Promise<IStepRunResult> {
  const result: IStepRunResult = {
    reruns: [],
    loads: [],
    failedLoad: false,
    imports: null,
    verification: null,
    rerunMs: 0,
    loadMs: 0,
    importMs: 0,
    modulesImported: 0,
    verifyMs: 0,
    hashed: { bytes: 0, ms: 0 },
    adoptMs: 0,
    roundTrips: 0
  };
  let next = 0;
  let imports = run.imports;
  for (;;) {
    if (run.signal?.aborted) {
      throw new MigrationError('the restore was cancelled');
    }
    const end = await arrivedUpTo(run, next);
    if (next < run.steps.length) {
      run.step(run.messages[next]);
    }
    result.roundTrips += 1;
    const answer = await run.agent.restore({
      steps: run.steps.slice(next, end),
      dir: run.dir,
      random: run.random,
      budgetMs: run.budgetMs ?? STEP_BUDGET_MS,
      ...(imports ? { imports } : {}),
      // Verify and adopt only with the last steps.
      ...(end === run.steps.length ? { finish: run.finish } : {})
    });
    imports = undefined;
    if (answer.imports) {
      result.imports = answer.imports;
      result.importMs += answer.imports.importMs;
      result.modulesImported += answer.imports.modulesImported;
    }
    for (const done of answer.steps) {
      if (done.kind === 'rerun') {
        result.reruns.push({ execution: done.execution, error: done.error });
        result.rerunMs += done.ms;
      } else {
        let firstImports = 0;
        for (const group of done.groups) {
          firstImports += group.importMs;
          result.modulesImported += group.modulesImported;
          result.loads.push({
            index: group.index,
            ok: group.ok,
            error: group.error ?? null,
            importMs: group.importMs,
            bytes: group.bytes
          });
        }
        result.importMs += firstImports;
        result.loadMs += Math.max(0, done.ms - firstImports);
      }
    }
    next += answer.steps.length;
    if (answer.stopped === 'load-failed') {
      result.failedLoad = true;
      return result;
    }
    if (answer.stopped === 'event-loop') {
      await runOnItsOwn(run, next, result);
      next += 1;
      continue;
    }
    if (answer.stopped === 'budget') {
      if (answer.steps.length === 0) {
        throw new MigrationError('the kernel agent stopped the restore steps without running any');
      }
      continue;
    }
    if (next < run.steps.length) {
      continue; // the steps up to a load whose files are still arriving ran
    }
    if (!answer.verification) {
      throw new MigrationError('the kernel agent ran every restore step but did not verify the variables');
    }
    run.step('verifying the restored variables');
    result.verification = answer.verification;
    result.verifyMs = answer.verifyMs;
    result.hashed = answer.hashed ?? result.hashed;
    run.step('continuing the recorded history in the restored kernel');
    if (!answer.adopted?.ok) {
      throw new MigrationError(
        `the restored kernel could not continue the recorded history: ${answer.adopted?.error ?? 'unknown error'}`
      );
    }
    result.adoptMs = answer.adoptMs;
    return result;
  }
}

/**
 * The end of the steps to send from `next`: before the first load whose files are still
 * arriving. When that load is the next step, wait for its files first.
 */
async function arrivedUpTo(run: IStepRun, next: number): Promise<number> {
  const { arriving } = run;
  if (!arriving) {
    return run.steps.length;
  }
  const filesOf = (s: IRestoreCallStep) => (s.kind === 'load' ? s.groups.map(g => g.file) : []);
  const blocked = run.steps.findIndex((s, i) => i >= next && filesOf(s).some(f => !arriving.complete(f)));
  if (blocked === -1) {
    return run.steps.length;
  }
  if (blocked > next) {
    return blocked;
  }
  const files = filesOf(run.steps[next]);
  run.step(`waiting for ${files.join(', ')} to arrive`);
  await arriving.wait(files, run.signal);
  return arrivedUpTo(run, next);
}

/** A re-run that needs the kernel's event loop: its random states, then its code as a request of its own. */
async function runOnItsOwn(run: IStepRun, position: number, result: IStepRunResult): Promise<void> {
  const s = run.steps[position];
  if (s?.kind !== 'rerun') {
    throw new MigrationError(`the kernel agent stopped before step ${position}, which is not a re-run`);
  }
  if (run.signal?.aborted) {
    throw new MigrationError('the restore was cancelled');
  }
  run.step(run.messages[position]);
  const t0 = performance.now();
  await run.agent.prepare(s.execution, { dir: run.random.dir, random: run.random.file, checksum: run.random.checksum });
  const error = await run.kernel.runSilently(s.code);
  result.roundTrips += 2;
  result.rerunMs += performance.now() - t0;
  result.reruns.push({ execution: s.execution, error });
}
