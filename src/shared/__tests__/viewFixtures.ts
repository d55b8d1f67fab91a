/**
 * Fixtures for the view specs: wire objects as the companion serves them, and plain fake models
 * (the fields and methods the views read, a `changed` signal) to cast to the model types.
 * Not a spec (jest runs `*.spec.ts(x)` only).
 */
import { Kernel } from '@jupyterlab/services';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Signal } from '@lumino/signaling';
import { PRICED_KINDS } from '@elastic-notebook/protocol';
import type {
  CheckpointEntry,
  ICheckpointJobResult,
  IMigrateJobResult,
  IRestoreJobResult,
  ICheckpointSummary,
  ICostModel,
  IFeasiblePlan,
  IGraphExecution,
  IGraphVariable,
  IGroupExplanation,
  IHistoryGraph,
  IInfeasiblePlan,
  IJob,
  IThroughput,
  IUnreadableCheckpoint,
  Objective,
  PlanResponse
} from '@elastic-notebook/protocol';
import type { ICheckpointActions } from '../../checkpoints/checkpointActions';
import { splitEntries, type ISplitEntries } from '../../checkpoints/checkpointNotebook';
import type { CheckpointsModel } from '../../checkpoints/checkpointsModel';
import type { HistoryModel } from '../../history/historyModel';
import type { VariableMark } from '../../marks/marks';
import type { NotebookMarks } from '../../marks/marksModel';
import type { PlanModel } from '../../plan/planModel';
import type { IAgentStatus } from '../../tokens';
import { ENGLISH } from '../translation';

/** A kernel connection as far as the views look at it. */
export function kernel(id = 'k1'): Kernel.IKernelConnection {
  return { id, name: 'python3' } as Kernel.IKernelConnection;
}

// ---------------------------------------------------------------------------------------------
// History graph

/** One recorded execution `index`, writing `x`, with `fields` over it. */
export function execution(index: number, fields: Partial<IGraphExecution> = {}): IGraphExecution {
  return {
    index,
    cellIndex: index,
    cellId: `cell-${index}`,
    executionCount: index + 1,
    code: `x = ${index}`,
    startedAtMs: 1000 * index,
    durationMs: 1.25,
    error: null,
    reads: [],
    writes: ['x'],
    deletes: [],
    needsFullCheck: [],
    nondeterministic: false,
    modulesLoaded: 0,
    packagesLoaded: [],
    inputs: [],
    agentMs: null,
    ...fields
  };
}

/** One variable snapshot, live unless `fields` say otherwise. */
export function variable(name: string, version: number, fields: Partial<IGraphVariable> = {}): IGraphVariable {
  return { name, version, producedBy: version, active: true, info: null, ...fields };
}

/** A history graph of kernel k1 with `fields` over an empty one. */
export function graph(fields: Partial<IHistoryGraph> = {}): IHistoryGraph {
  return { kernelId: 'k1', runId: 'run-1', executions: [], variables: [], groups: [], ...fields };
}

// ---------------------------------------------------------------------------------------------
// Plans

const throughput = (bytesPerSec: number, samples: number): IThroughput => ({
  latencyMs: 2,
  bytesPerSec: [bytesPerSec, bytesPerSec, bytesPerSec],
  latencySamples: samples,
  rateSamples: [samples, samples, samples]
});

/** A cost model priced with defaults only (nothing measured yet). */
export function costModel(fields: Partial<ICostModel> = {}): ICostModel {
  const throughputs = Object.fromEntries(
    PRICED_KINDS.map(kind => [kind, throughput(500_000_000, 0)])
  ) as ICostModel['throughputs'];
  return {
    serializeBytesPerSec: 500_000_000,
    deserializeBytesPerSec: 500_000_000,
    writeBytesPerSec: 500_000_000,
    readBytesPerSec: 500_000_000,
    payloadLatencyMs: 2,
    targetSpeed: 1,
    rerunLatencyMs: 5,
    rerunLatencySamples: 0,
    importMsPerModule: 3,
    importSamples: 0,
    throughputs,
    store: 'local',
    weights: { migrate: 1, restore: 1 },
    measured: [],
    ...fields
  };
}

/** A group's decision and costs. */
export function group(members: string[], fields: Partial<IGroupExplanation> = {}): IGroupExplanation {
  return {
    members,
    decision: 'copy',
    sizeBytes: 1000,
    copyCostMs: 4,
    recomputable: true,
    recomputeCostMs: 40,
    requiredExecutions: 1,
    reason: `copying ${members.join(', ')} is cheaper`,
    ...fields
  };
}

/** A served feasible plan. */
export type FeasiblePlanResponse = Extract<PlanResponse, { feasible: true }>;
/** A served infeasible plan. */
export type InfeasiblePlanResponse = Extract<PlanResponse, { feasible: false }>;

/** A feasible plan for kernel k1 with `fields` over a plan that copies nothing. */
export function feasiblePlan(fields: Partial<IFeasiblePlan> = {}): FeasiblePlanResponse {
  return {
    feasible: true,
    objective: 'balanced',
    copy: [],
    rerun: [],
    groups: [],
    estimate: { migrateMs: 10, restoreMs: 20, totalMs: 30, objectiveCost: 30 },
    baselines: {
      copyAll: { feasible: true, migrateMs: 100, restoreMs: 200, totalMs: 300, objectiveCost: 300 },
      recomputeAll: { feasible: true, migrateMs: 1, restoreMs: 5000, totalMs: 5001, objectiveCost: 5001 }
    },
    costModel: costModel(),
    notes: [],
    planMs: 3,
    kernelId: 'k1',
    runId: 'run-1',
    executions: 3,
    ...fields
  };
}

/** An infeasible plan for kernel k1. */
export function infeasiblePlan(fields: Partial<IInfeasiblePlan> = {}): InfeasiblePlanResponse {
  return {
    feasible: false,
    objective: 'balanced',
    infeasibility: {
      variables: ['conn'],
      executions: [2],
      message: 'conn can be neither copied nor recomputed.',
      suggestions: ['Unmark execution 2 "never re-run".', 'Mark conn "always copy" if it can be pickled.']
    },
    planMs: 2,
    kernelId: 'k1',
    runId: 'run-1',
    executions: 3,
    ...fields
  };
}

// ---------------------------------------------------------------------------------------------
// Checkpoints and jobs

/** A readable checkpoint of `notebookPath`. */
export function summary(
  uri: string,
  notebookPath: string | null,
  fields: Partial<ICheckpointSummary> = {}
): ICheckpointSummary {
  return {
    uri,
    error: null,
    checkpointId: uri.split('/').pop() ?? uri,
    createdAt: '2026-12-05T10:30:00Z',
    formatVersion: 1,
    notebookPath,
    kernelName: 'python3',
    bytes: 2_500_000,
    copiedVariables: 3,
    objective: 'balanced',
    ...fields
  };
}

/** A bundle that cannot be read. */
export function unreadable(uri: string, error: string): IUnreadableCheckpoint {
  return { uri, error, code: 'corrupt', formatVersion: null };
}

/** A job as the companion answers it, with `fields` over a running checkpoint. */
export function job(fields: Partial<IJob> = {}): IJob {
  return {
    id: 'j1',
    kind: 'checkpoint',
    kernelId: 'k1',
    uri: '/checkpoints/nb-1',
    state: 'running',
    steps: [],
    progress: null,
    cancelRequested: false,
    result: null,
    error: null,
    createdAt: '2026-12-05T00:00:00Z',
    finishedAt: null,
    ...fields
  };
}

/** A finished checkpoint's result, with `fields` over it. */
export const checkpointResult = (fields: Partial<ICheckpointJobResult> = {}): ICheckpointJobResult => ({
  bundle: '/checkpoints/nb-1',
  checkpointId: 'nb-1',
  plan: { objective: 'balanced', copy: ['df', 'model'], rerun: [3] },
  replanned: [],
  executions: 7,
  bytes: 12_345_678,
  timings: { totalMs: 1234 },
  ...fields
});

/** A restore's or migration's verification (every variable matches), with `fields` over it. */
export const verification = (
  fields: Partial<IRestoreJobResult['verification']> = {}
): IRestoreJobResult['verification'] => ({
  ok: true,
  differ: [],
  missing: [],
  unexpected: [],
  notCompared: [],
  notComparedReasons: {},
  ...fields
});

/** A finished restore's result (verified), with `fields` over it. */
export const restoreResult = (fields: Partial<IRestoreJobResult> = {}): IRestoreJobResult => ({
  bundle: '/checkpoints/nb-1',
  checkpointId: 'nb-1',
  loaded: ['df'],
  rerun: [1, 3],
  fallback: [],
  verification: verification(),
  timings: { totalMs: 40 },
  ...fields
});

/** A finished migration's result (verified), with `fields` over it. */
export const migrateResult = (fields: Partial<IMigrateJobResult> = {}): IMigrateJobResult => ({
  target: 'gpu-box',
  kernelId: 'k9',
  sessionId: 's9',
  notebookUrl: 'http://gpu-box:8888/lab/tree/nb.ipynb',
  notebookPath: 'nb.ipynb',
  plan: { objective: 'balanced', copy: ['df'], rerun: [1] },
  bytes: 2_000_000,
  verification: verification(),
  timings: { checkpointMs: 100, transferMs: 200, restoreMs: 300, totalMs: 650 },
  transport: 'direct',
  sourceStopped: false,
  ...fields
});

// ---------------------------------------------------------------------------------------------
// Fake models: plain objects with what the views read, cast to the model types.

/** What the history views read of a HistoryModel. */
export interface IFakeHistory {
  graph: IHistoryGraph | null;
  agentStatus: IAgentStatus | undefined;
  error: string | null;
  kernel: Kernel.IKernelConnection | null;
  notebookPath: string | null;
  loading: boolean;
  visible: boolean;
  refresh: jest.Mock<Promise<void>, []>;
  changed: Signal<object, void>;
}

/** A fake history model: a recording kernel k1 of `nb.ipynb` with an empty graph, `fields` over it. */
export function fakeHistory(fields: Partial<Omit<IFakeHistory, 'changed'>> = {}): IFakeHistory {
  const fake = {
    graph: null,
    agentStatus: { active: true },
    error: null,
    kernel: kernel(),
    notebookPath: 'nb.ipynb',
    loading: false,
    visible: false,
    refresh: jest.fn(() => Promise.resolve()),
    ...fields
  };
  return Object.assign(fake, { changed: new Signal<object, void>(fake) });
}

export const asHistory = (fake: IFakeHistory): HistoryModel => fake as unknown as HistoryModel;

/** What the views read of NotebookMarks. */
export interface IFakeMarks {
  /** Stands for the notebook model: the views only test it for null. */
  notebook: object | null;
  markOf: jest.Mock<VariableMark, [string]>;
  setMark: jest.Mock<void, [string, VariableMark]>;
  changed: Signal<object, void>;
}

/** Fake marks of an open notebook (or none), marking variables as `marked` says ('auto' otherwise). */
export function fakeMarks(marked: Record<string, VariableMark> = {}, notebook: object | null = {}): IFakeMarks {
  const fake = {
    notebook,
    markOf: jest.fn((name: string): VariableMark => marked[name] ?? 'auto'),
    setMark: jest.fn<void, [string, VariableMark]>()
  };
  return Object.assign(fake, { changed: new Signal<object, void>(fake) });
}

export const asMarks = (fake: IFakeMarks): NotebookMarks => fake as unknown as NotebookMarks;

/** What PlanView reads of a PlanModel. */
export interface IFakePlan {
  plan: PlanResponse | null;
  objective: Objective;
  loading: boolean;
  error: string | null;
  refresh: jest.Mock<Promise<void>, []>;
  changed: Signal<object, void>;
}

export function fakePlan(fields: Partial<Omit<IFakePlan, 'changed'>> = {}): IFakePlan {
  const fake = {
    plan: null,
    objective: 'balanced' as Objective,
    loading: false,
    error: null,
    refresh: jest.fn(() => Promise.resolve()),
    ...fields
  };
  return Object.assign(fake, { changed: new Signal<object, void>(fake) });
}

export const asPlan = (fake: IFakePlan): PlanModel => fake as unknown as PlanModel;

/** What CheckpointsView reads of a CheckpointsModel; `split` follows `entries` and `notebookPath`. */
export interface IFakeCheckpoints {
  entries: CheckpointEntry[] | null;
  readonly split: ISplitEntries | null;
  root: string | null;
  job: IJob | null;
  kernel: Kernel.IKernelConnection | null;
  notebookPath: string | null;
  showOthers: boolean;
  loading: boolean;
  error: string | null;
  visible: boolean;
  locationOf(recorded: string | null): string | null;
  refresh: jest.Mock<Promise<void>, []>;
  changed: Signal<object, void>;
}

/** A fake checkpoints model of kernel k1 showing `work/nb.ipynb` (the page knows no server root). */
export function fakeCheckpoints(
  fields: Partial<Omit<IFakeCheckpoints, 'changed' | 'split' | 'locationOf'>> = {}
): IFakeCheckpoints {
  const fake = {
    entries: null as CheckpointEntry[] | null,
    root: '/data/checkpoints',
    job: null,
    kernel: kernel(),
    notebookPath: 'work/nb.ipynb',
    showOthers: false,
    loading: false,
    error: null,
    visible: false,
    ...fields,
    get split(): ISplitEntries | null {
      return this.entries ? splitEntries(this.entries, this.notebookPath, null) : null;
    },
    locationOf: (recorded: string | null) => recorded,
    refresh: jest.fn(() => Promise.resolve())
  };
  return Object.assign(fake, { changed: new Signal<object, void>(fake) });
}

export const asCheckpoints = (fake: IFakeCheckpoints): CheckpointsModel => fake as unknown as CheckpointsModel;

/** Actions that record their calls. */
export interface IFakeActions extends ICheckpointActions {
  restore: jest.Mock<Promise<void>, [CheckpointEntry]>;
  restoreFrom: jest.Mock<Promise<void>, []>;
  remove: jest.Mock<Promise<void>, [CheckpointEntry]>;
  cancel: jest.Mock<Promise<void>, [IJob]>;
}

export function fakeActions(): IFakeActions {
  return {
    restore: jest.fn<Promise<void>, [CheckpointEntry]>(() => Promise.resolve()),
    restoreFrom: jest.fn<Promise<void>, []>(() => Promise.resolve()),
    remove: jest.fn<Promise<void>, [CheckpointEntry]>(() => Promise.resolve()),
    cancel: jest.fn<Promise<void>, [IJob]>(() => Promise.resolve())
  };
}

/** A "translation" that brackets every English string, to tell translated text from hard-coded text. */
export function bracketed(): TranslationBundle {
  const bundle: TranslationBundle = Object.create(ENGLISH);
  bundle.__ = (msgid: string, ...args: unknown[]) => `[${ENGLISH.__(msgid, ...args)}]`;
  bundle._n = (msgid: string, plural: string, n: number, ...args: unknown[]) =>
    `[${ENGLISH._n(msgid, plural, n, ...args)}]`;
  return bundle;
}
