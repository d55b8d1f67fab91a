/**
 * Types of the Application History Graph (docs/method.md section 2) and of the execution records the kernel
 * agent sends (docs/internals.md section 4).
 */

/** What the agent measured about a variable a cell wrote. */
export interface IVariableInfo {
  /** `module.qualname` of the value's type. */
  type?: string;
  /** Estimated serialized size in bytes. */
  size?: number;
  /** False when the value looked unserializable (generators, open files, locks...). */
  serializable?: boolean;
  /** True when the value was compared only by a sampled hash. */
  needsFullCheck?: boolean;
  /** For a class or function: the module defining it (loading it imports that module). */
  definedIn?: string;
  [key: string]: unknown;
}

/** One recorded cell execution, as posted by the agent. */
export interface IExecutionRecord {
  seq: number;
  cellIndex?: number | null;
  cellId?: string | null;
  executionCount?: number | null;
  code: string;
  startedAtMs: number;
  durationMs: number;
  error: string | null;
  reads: string[];
  writes: string[];
  deletes: string[];
  /** Linked groups among all live user variables after the execution. */
  groups: string[][];
  variables?: Record<string, IVariableInfo>;
  /** Variables compared only by a sampled hash: the checkpoint-time full check must hash them whole. */
  needsFullCheck?: string[];
  agentMs?: number;
  /** Variables changed in place (same object before and after): their old version is an input. */
  modified?: string[];
  /** The cell drew fresh entropy from the OS (an unseeded generator of its own): never re-run it. */
  nondeterministic?: boolean;
  /** How many modules the cell loaded into `sys.modules` (absent: none). */
  modulesLoaded?: number;
  /** The top-level packages among them, outside the standard library (absent: none). */
  packagesLoaded?: string[];
  [key: string]: unknown;
}

/** A cell execution node (CE) of the graph. */
export interface ICellExecution {
  index: number;
  cellIndex: number | null;
  cellId: string | null;
  executionCount: number | null;
  code: string;
  startedAtMs: number;
  durationMs: number;
  error: string | null;
  reads: string[];
  writes: string[];
  deletes: string[];
  /** Variables this execution compared only by a sampled hash. */
  needsFullCheck: string[];
  /** Its results depend on fresh OS entropy: a re-run would not reproduce them. */
  nondeterministic: boolean;
  /** How many modules the cell loaded into `sys.modules`: only such a cell paid for imports. */
  modulesLoaded: number;
  /** The libraries (top-level packages, standard library left out) the cell loaded first. */
  packagesLoaded: string[];
  /** Snapshot ids this execution read (VS -> CE edges). */
  inputs: number[];
  /** Snapshot ids this execution produced (CE -> VS edges). */
  outputs: number[];
  agentMs: number | null;
}

/** A variable snapshot node (VS): a variable name at a version. */
export interface IVariableSnapshot {
  id: number;
  name: string;
  version: number;
  /**
   * Index of the execution that produced this version, or null when it came from outside the
   * recorded history (an unrecorded execution): such a snapshot can never be recomputed.
   */
  producedBy: number | null;
  info: IVariableInfo | null;
}

/** The result of `req(v)`: what must be re-run to recreate a snapshot or a group. */
export interface IRequirement {
  /** Execution indices to re-run, in original order. */
  executions: number[];
  /**
   * Snapshots needed for that but produced by no recorded execution; when non-empty, the target
   * cannot be recomputed.
   */
  unresolved: number[];
}

/** The graph as served to the frontend and printed by the CLI (docs/internals.md section 6). */
export interface IGraphJSON {
  kernelId: string;
  runId: string;
  executions: Array<Omit<ICellExecution, 'inputs' | 'outputs'> & { inputs: Array<{ name: string; version: number }> }>;
  variables: Array<{
    name: string;
    version: number;
    producedBy: number | null;
    active: boolean;
    info: IVariableInfo | null;
  }>;
  groups: string[][];
}
