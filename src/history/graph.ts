/**
 * The Application History Graph as the server sends it (docs/internals.md section 6): the
 * recorded cell executions of one kernel process and the variable snapshots they produced.
 */

/** One recorded cell execution. */
export interface IExecution {
  /** Position in execution order, from 0. */
  index: number;
  /** The cell's 0-based position in the notebook when it ran, if known. */
  cellIndex: number | null;
  cellId: string | null;
  executionCount: number | null;
  code: string;
  startedAtMs?: number;
  durationMs: number;
  /** null, or the exception's one-line summary (`"ValueError: bad value"`). */
  error: string | null;
  reads: string[];
  /** Variables created, rebound or modified in place. */
  writes: string[];
  deletes: string[];
}

/** One variable snapshot: a variable name at a version. */
export interface IVariable {
  name: string;
  version: number;
  /** The execution that produced it (null: it existed before recording started). */
  producedBy: number | null;
  /** Whether it is the latest version of a live variable. */
  active: boolean;
}

/** The history graph of a kernel's current run. */
export interface IHistoryGraph {
  kernelId: string;
  runId: string;
  executions: IExecution[];
  variables: IVariable[];
  /** Linked groups among the active variables; each active variable is in exactly one. */
  groups: string[][];
}
