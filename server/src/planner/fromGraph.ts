/**
 * Build a planner input from the Application History Graph, the per-variable measurements the
 * agent recorded (`variables[name] = {size, serializable}`), the cost measurements and the marks.
 * Everything is derived afresh from the graph on each call: no state survives between plans.
 */
import { HistoryGraph, IVariableSnapshot } from '../ahg/index';
import { costModel, importingMs, Measurements, RERUN_RISK_MS } from './costs';
import { isNeverRerun, Marks, parseMarks } from './marks';
import { IPlanHistory, typicalDurationMs } from './stability';
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
  /**
   * What earlier plans of this history (`historyKey`) left: their decisions, kept within the
   * stability margin, and recent runs' cell times, whose median prices each re-run.
   */
  previous?: IPlanHistory;
  /** The run the graph is of (its own entry in `previous.runs` is not counted twice). */
  runId?: string;
}

/** The type of numpy arrays, whose memory fingerprints hash at memory speed. */
const NDARRAY = 'numpy.ndarray';

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

  // The libraries of the final state are imported by every restore: loading a copy imports them,
  // and so does re-running the cell that imported them. Each costs what importing the modules of
  // the execution that loaded it takes (`importingMs`, at most its duration): for a module
  // variable, the execution that bound it, when it loaded modules (`import time` of a module
  // loaded already costs nothing, while the rest of its cell may have slept for seconds); for a
  // library's object (a fitted estimator, a class), the first execution that loaded that library.
  // That time is fixed work (`importsMs`), which the estimate takes out of those executions'
  // re-runs (`rerunWorkMs`); no copy pays it. The decisions weigh re-runs at their whole time
  // (`rerunDecisionMs`), plus a risk for cells that made objects of libraries (`riskMs`).
  const durations = graph.executions.map((e, position) =>
    typicalDurationMs(e.durationMs, position, graph.executions.length, options.runId, options.previous?.runs)
  );
  const firstLoader = new Map<string, number>();
  for (const execution of graph.executions) {
    for (const name of execution.packagesLoaded) {
      if (!firstLoader.has(name)) {
        firstLoader.set(name, execution.index);
      }
    }
  }
  const importers = new Set<number>();
  for (const snapshot of graph.activeSnapshots()) {
    const importer = importerOf(snapshot, graph, firstLoader);
    if (importer !== null) {
      importers.add(importer);
    }
  }
  let importsMs = 0;

  const executions: IPlannerExecution[] = graph.executions.map((execution, position) => {
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
    const durationMs = durations[position];
    const importMs = importers.has(execution.index)
      ? importingMs(model, { durationMs, modulesLoaded: execution.modulesLoaded, code: execution.code })
      : 0;
    importsMs += importMs;
    const risky = execution.outputs.some(id => graph.isActive(id) && isLibraryObject(graph.snapshots[id]));
    return {
      index: execution.index,
      cellIndex: execution.cellIndex,
      cellId: execution.cellId,
      durationMs,
      depends: [...depends].sort((a, b) => a - b),
      unresolvedInputs: [...unresolved].sort(),
      neverRerun: isNeverRerun(marks, execution),
      replayFailed: failed.has(execution.index),
      nondeterministic: execution.nondeterministic,
      ...(importMs > 0 ? { importMs } : {}),
      ...(risky ? { riskMs: RERUN_RISK_MS } : {})
    };
  });

  const groups: IPlannerGroup[] = activeGroups(graph).map(snapshots => {
    const members = snapshots.map(s => s.name).sort();
    const producers = new Set<number>();
    let sizeBytes = 0;
    let arrayBytes = 0;
    for (const s of snapshots) {
      if (s.producedBy !== null) {
        producers.add(s.producedBy);
      }
      const size = typeof s.info?.size === 'number' ? s.info.size : unknownSize;
      sizeBytes += size;
      arrayBytes += s.info?.type === NDARRAY ? size : 0;
    }
    return {
      members,
      sizeBytes,
      ...(arrayBytes > 0 ? { arrayBytes } : {}),
      unserializable: snapshots
        .filter(s => s.info?.serializable === false)
        .map(s => s.name)
        .sort(),
      producers: [...producers].sort((a, b) => a - b),
      external: snapshots
        .filter(s => s.producedBy === null)
        .map(s => s.name)
        .sort(),
      neverCopy: members.filter(m => neverCopy.has(m)),
      alwaysCopy: members.filter(m => alwaysCopy.has(m))
    };
  });

  return {
    objective: options.objective,
    costModel: model,
    groups,
    executions,
    ...(importsMs > 0 ? { importsMs } : {}),
    ...(options.previous ? { previous: options.previous.decisions } : {})
  };
}

/** Packages whose values a re-run reproduces exactly (plain data, arrays, frames). */
const DATA_PACKAGES = new Set([
  'builtins',
  'numpy',
  'pandas',
  '__main__',
  'collections',
  'datetime',
  'decimal',
  'fractions'
]);

/**
 * Whether `snapshot` holds an object of a library (a fitted model, a figure...), as opposed to
 * plain data, arrays, frames, modules, classes and functions.
 */
function isLibraryObject(snapshot: IVariableSnapshot): boolean {
  const info = snapshot.info;
  if (!info || typeof info.type !== 'string' || info.type === 'builtins.module' || typeof info.definedIn === 'string') {
    return false;
  }
  const dot = info.type.indexOf('.');
  return dot > 0 && !DATA_PACKAGES.has(info.type.slice(0, dot));
}

/**
 * The execution whose imports a restore pays again for `snapshot`, or null: for a module, the
 * execution that bound it if that one loaded modules; for a value of a library (its class or
 * function's defining module, else its type's), the first execution that loaded that library.
 */
function importerOf(snapshot: IVariableSnapshot, graph: HistoryGraph, firstLoader: Map<string, number>): number | null {
  const info = snapshot.info;
  if (!info) {
    return null;
  }
  if (info.type === 'builtins.module') {
    const producer = snapshot.producedBy;
    return producer !== null && graph.executions[producer].modulesLoaded > 0 ? producer : null;
  }
  const where = typeof info.definedIn === 'string' ? info.definedIn : typeof info.type === 'string' ? info.type : '';
  const library = where.split('.')[0];
  return firstLoader.get(library) ?? null;
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
