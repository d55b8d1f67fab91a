/**
 * Build a planner input from the Application History Graph, the per-variable measurements the
 * agent recorded (`variables[name] = {size, serializable}`), the cost measurements and the marks.
 * Everything is derived afresh from the graph on each call: no state survives between plans.
 */
import { HistoryGraph, IVariableSnapshot } from '../ahg/index';
import { costModel, Measurements } from './costs';
import { isNeverRerun, Marks, parseMarks } from './marks';
import type { PreviousDecisions } from './stability';
import type { IPlannerExecution, IPlannerGroup, IPlannerInput, Objective } from './types';

/** Options of `fromGraph`. */
export interface IFromGraphOptions {
  objective: Objective;
  /** Measured throughputs and target speed (defaults fill the gaps). */
  measurements?: Measurements;
  /** User marks, validated here (a `MarksError` names what is wrong). */
  marks?: unknown;
  /** Executions that failed to replay in an earlier restore. */
  failedReplays?: number[];
  /** Size assumed for a variable the agent did not measure, in bytes (default 1 MiB). */
  unknownSizeBytes?: number;
  /** The previous plan's decisions for this history (`historyKey`), kept within the stability margin. */
  previous?: PreviousDecisions;
}

/** The default size of an unmeasured variable. */
export const UNKNOWN_SIZE_BYTES = 1 << 20;

/** The planner input for the current state of `graph`. */
export function fromGraph(graph: HistoryGraph, options: IFromGraphOptions): IPlannerInput {
  const marks: Marks = parseMarks(options.marks ?? {});
  const model = costModel(options.objective, options.measurements ?? {});
  const unknownSize = options.unknownSizeBytes ?? UNKNOWN_SIZE_BYTES;
  const failed = new Set(options.failedReplays ?? []);
  const alwaysCopy = new Set(marks.alwaysCopy);
  const neverCopy = new Set(marks.neverCopy);

  const executions: IPlannerExecution[] = graph.executions.map(execution => {
    const depends = new Set<number>();
    const unresolved = new Set<string>();
    for (const input of execution.inputs) {
      if (graph.isActive(input)) {
        continue; // Present at restore anyway: copied, or recomputed in order.
      }
      const snapshot = graph.snapshots[input];
      if (snapshot.producedBy === null) {
        unresolved.add(snapshot.name);
      } else {
        depends.add(snapshot.producedBy);
      }
    }
    return {
      index: execution.index,
      cellIndex: execution.cellIndex,
      cellId: execution.cellId,
      durationMs: execution.durationMs,
      depends: [...depends].sort((a, b) => a - b),
      unresolvedInputs: [...unresolved].sort(),
      neverRerun: isNeverRerun(marks, execution),
      replayFailed: failed.has(execution.index),
      nondeterministic: execution.nondeterministic
    };
  });

  // A copied module is imported again at restore: that costs what the execution importing it took,
  // counted once per execution (several names usually come from one import cell), and only when
  // that execution loaded modules (`import time` of a module already loaded costs nothing, while
  // the rest of its cell may have slept for seconds).
  const importsPriced = new Set<number>();
  const groups: IPlannerGroup[] = activeGroups(graph).map(snapshots => {
    const members = snapshots.map(s => s.name).sort();
    const producers = new Set<number>();
    let sizeBytes = 0;
    for (const s of snapshots) {
      if (s.producedBy !== null) {
        producers.add(s.producedBy);
      }
      sizeBytes += typeof s.info?.size === 'number' ? s.info.size : unknownSize;
    }
    let importMs = 0;
    for (const s of snapshots) {
      if (s.info?.type === 'builtins.module' && s.producedBy !== null && !importsPriced.has(s.producedBy)) {
        importsPriced.add(s.producedBy);
        const importer = graph.executions[s.producedBy];
        importMs += importer.modulesLoaded > 0 ? importer.durationMs : 0;
      }
    }
    return {
      members,
      sizeBytes,
      ...(importMs > 0 ? { importMs } : {}),
      unserializable: snapshots.filter(s => s.info?.serializable === false).map(s => s.name).sort(),
      producers: [...producers].sort((a, b) => a - b),
      external: snapshots.filter(s => s.producedBy === null).map(s => s.name).sort(),
      neverCopy: members.filter(m => neverCopy.has(m)),
      alwaysCopy: members.filter(m => alwaysCopy.has(m))
    };
  });

  return { objective: options.objective, costModel: model, groups, executions, ...(options.previous ? { previous: options.previous } : {}) };
}

/**
 * The linked groups among active variables, as active snapshots. The agent's latest group list
 * covers every live variable; any active variable it misses becomes a group of its own, and names
 * that are not active are dropped, so every active variable is in exactly one group.
 */
function activeGroups(graph: HistoryGraph): IVariableSnapshot[][] {
  const placed = new Set<string>();
  const result: IVariableSnapshot[][] = [];
  for (const names of graph.groups) {
    const group: IVariableSnapshot[] = [];
    for (const name of names) {
      const snapshot = graph.activeSnapshot(name);
      if (snapshot && !placed.has(name)) {
        placed.add(name);
        group.push(snapshot);
      }
    }
    if (group.length > 0) {
      result.push(group);
    }
  }
  for (const snapshot of graph.activeSnapshots()) {
    if (!placed.has(snapshot.name)) {
      result.push([snapshot]);
    }
  }
  return result;
}
