/**
 * Types of the Application History Graph (docs/method.md section 2) and of the execution records the kernel
 * agent sends (docs/internals.md section 4).
 */

import type { IGraphExecution, IHistoryGraph, IVariableInfo } from '@elastic-notebook/protocol';

export type { IExecutionRecord, IVariableInfo } from '@elastic-notebook/protocol';

/** A cell execution node (CE) of the graph: as served, with its edges as snapshot ids. */
export type ICellExecution = Omit<IGraphExecution, 'inputs'> & {
  /** Snapshot ids this execution read (VS -> CE edges). */
  inputs: number[];
  /** Snapshot ids this execution produced (CE -> VS edges). */
  outputs: number[];
};

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
export type IGraphJSON = IHistoryGraph;
