/**
 * The cost model: how long copying a group or re-running an execution takes, from measured numbers.
 *
 * Every kind of work on bytes (serialize, write/upload, read/fetch, deserialize) costs a fixed
 * latency per operation plus bytes over a throughput that depends on the size class of the
 * operation (under 1 MB, 1-64 MB, 64 MB and more: small transfers are latency-bound, large ones
 * bandwidth-bound). For a group of `b` serialized bytes (times in ms):
 *
 *   cost(kind, b)  = latencyMs[kind] + 1000 b / bytesPerSec[kind][class(b)]
 *   migrateMs(b)   = cost(serialize, b) + cost(write, b) [+ 1000 b / transferBytesPerSec]
 *   restoreMs(b)   = cost(read, b)      + cost(deserialize, b)
 *
 * A migration to another machine also sends the copied bytes over the network: its plan is priced
 * for the target (`pricing` of the migrate job), with the bandwidth to it (`transferBytesPerSec`,
 * measured by earlier transfers or a probe) and its CPU speed relative to this machine
 * (`targetSpeed`, from both machines' CPU probes). A slow link makes copying dear, a slow target
 * CPU makes re-running dear.
 *
 * For an execution recorded at `d` ms on the source, `i` ms of it importing libraries the final
 * state needs (`importingMs`: the modules it loaded at the measured time per module):
 *
 *   rerunMs(e) = rerunLatencyMs + (d - i) / targetSpeed    (targetSpeed > 1: the target is faster)
 *
 * A checkpoint and a restore also pay work that no decision changes (planning, the full
 * fingerprint of every variable, publishing and committing; reading the manifest, verifying,
 * continuing the history), priced the same way over the session's state bytes `S`, of which `A`
 * are numpy arrays' memory (fingerprints hash it at memory speed, `hash`; the rest is walked object
 * by object, at a rate a hundred times lower per byte), and a restore imports the state's
 * libraries (`I`, the sum of those `i`) whatever the plan:
 *
 *   migrate = cost(checkpoint, S - A) + cost(hash, A) + sum over C of migrateMs
 *   restore = cost(restore, S - A) + cost(hash, A) + I / targetSpeed + sum over C of restoreMs + sum over R of rerunMs
 *
 * The objective minimises `weights.migrate * migrate + weights.restore * restore`: `balanced`
 * weights both 1 (total time), `fast-migrate` weights migration 1 and restoration 0.1, `fast-restore`
 * the reverse. So the min-cut capacities are: source -> group = weighted copy cost, execution ->
 * sink = `weights.restore * rerunDecisionMs` (the whole `d`, and a risk for cells that made
 * objects of libraries: see `RERUN_RISK_MS`); the fixed parts are the same for every cut.
 */
import { measurementsSchema, type Measurements } from '@elastic-notebook/protocol/schemas';
import { objectiveChoices, PRICED_KINDS } from '@elastic-notebook/protocol';
import type { ICostModel, IObjectiveWeights, IThroughput, PricedKind } from '@elastic-notebook/protocol';
import type { IPlannerGroup, Objective } from './types';

export { PRICED_KINDS } from '@elastic-notebook/protocol';
export type { ICostModel, IObjectiveWeights, IThroughput, PricedKind } from '@elastic-notebook/protocol';

/** Upper bounds (exclusive) of the size classes but the last: under 1 MB, 1-64 MB, 64 MB and more. */
export const SIZE_CLASS_BOUNDS: readonly number[] = [1e6, 64e6];

/** A size class: 0 under 1 MB, 1 from 1 to 64 MB, 2 from 64 MB. */
export type SizeClass = 0 | 1 | 2;

/** The size class of an operation on `bytes` bytes. */
export function sizeClass(bytes: number): SizeClass {
  return bytes < SIZE_CLASS_BOUNDS[0] ? 0 : bytes < SIZE_CLASS_BOUNDS[1] ? 1 : 2;
}

/** A throughput of `bytesPerSec` whatever the size, after `latencyMs`, resting on no observation. */
function flat(latencyMs: number, bytesPerSec: number): IThroughput {
  return { latencyMs, bytesPerSec: [bytesPerSec, bytesPerSec, bytesPerSec], latencySamples: 0, rateSamples: [0, 0, 0] };
}

/**
 * Defaults used until a number has been measured, from what the migration benchmark sees on a
 * 2-core VM with a local ext4 folder (pickling with out-of-band buffers 5-9 GB/s; payload writes
 * 0.7-1.2 GB/s for 100 MB to 2 GB; loading from the page cache 1.5-4 GB/s, the most for large
 * array groups; hashing a 2 GB array session at 10 GB/s or more; a checkpoint's
 * planning, full fingerprint and commit, and a restore's manifest, verification and adoption,
 * some tens of ms, plus hashing arrays at several GB/s), on the low side so that a first plan
 * neither shuns copying nor overrates it.
 */
export const DEFAULT_THROUGHPUTS: Readonly<Record<PricedKind, IThroughput>> = {
  serialize: flat(0.5, 4e9),
  write: flat(2, 600e6),
  read: flat(0.5, 1e9),
  // Groups of 64 MB and more are mostly array memory read straight into place.
  deserialize: { ...flat(2, 1.5e9), bytesPerSec: [1.5e9, 1.5e9, 3e9] },
  checkpoint: { ...flat(40, 5e9), bytesPerSec: [5e9, 5e9, 10e9] },
  restore: { ...flat(60, 5e9), bytesPerSec: [5e9, 5e9, 10e9] },
  // Full fingerprints hashing arrays' memory with xxh3: 10-15 GB/s.
  hash: flat(0, 10e9)
};

/** The store name of a local checkpoint folder (`--store`, measurements' target). */
export const LOCAL_STORE = 'local';

/**
 * Fetching from a local folder reads nothing: it checks the files' sizes, and the kernel reads
 * each payload while loading it (priced as deserializing).
 */
const LOCAL_READ: IThroughput = flat(0.5, 50e9);

/** The default throughput of `kind` on `target` (a store for transfers, else the machine). */
export function defaultThroughput(kind: PricedKind, target?: string): IThroughput {
  return kind === 'read' && target === LOCAL_STORE ? LOCAL_READ : DEFAULT_THROUGHPUTS[kind];
}

/** Scalar defaults (the flat throughputs are those of `DEFAULT_THROUGHPUTS`). */
export const DEFAULT_COSTS = {
  serializeBytesPerSec: DEFAULT_THROUGHPUTS.serialize.bytesPerSec[2],
  deserializeBytesPerSec: DEFAULT_THROUGHPUTS.deserialize.bytesPerSec[2],
  writeBytesPerSec: DEFAULT_THROUGHPUTS.write.bytesPerSec[2],
  readBytesPerSec: DEFAULT_THROUGHPUTS.read.bytesPerSec[2],
  payloadLatencyMs: DEFAULT_THROUGHPUTS.write.latencyMs,
  targetSpeed: 1,
  rerunLatencyMs: 3,
  // Importing numpy, pandas, scikit-learn, SciPy, statsmodels or pyplot in a fresh interpreter
  // on a 2-core VM: 0.5-1.2 ms per module it loads.
  importMsPerModule: 0.8
} as const;

/** The flat field that overrides every size class of a kind (the API's first form). */
const FLAT_FIELD: Partial<
  Record<PricedKind, 'serializeBytesPerSec' | 'deserializeBytesPerSec' | 'writeBytesPerSec' | 'readBytesPerSec'>
> = {
  serialize: 'serializeBytesPerSec',
  deserialize: 'deserializeBytesPerSec',
  write: 'writeBytesPerSec',
  read: 'readBytesPerSec'
};

/** The name `measured` lists for a kind's numbers. */
export const MEASURED_NAME: Record<PricedKind, string> = {
  serialize: 'serializeBytesPerSec',
  deserialize: 'deserializeBytesPerSec',
  write: 'writeBytesPerSec',
  read: 'readBytesPerSec',
  checkpoint: 'checkpointOverhead',
  restore: 'restoreOverhead',
  hash: 'hashBytesPerSec'
};

/** The weights of each objective. */
export const OBJECTIVE_WEIGHTS: Record<Objective, IObjectiveWeights> = {
  'fast-migrate': { migrate: 1, restore: 0.1 },
  'fast-restore': { migrate: 0.1, restore: 1 },
  balanced: { migrate: 1, restore: 1 }
};

export { measurementsSchema } from '@elastic-notebook/protocol/schemas';
/** Measured numbers for `costModel()`. */
export type { Measurements } from '@elastic-notebook/protocol/schemas';

/**
 * `base` overridden field by field by `over`; a flat rate in `over` (say `writeBytesPerSec`) also
 * replaces `base`'s per-size-class numbers of that kind, which would otherwise take precedence.
 */
export function overrideMeasurements(base: Measurements, over: Measurements): Measurements {
  const result: Measurements = { ...base, ...over };
  if (base.throughputs) {
    const throughputs = { ...base.throughputs, ...(over.throughputs ?? {}) };
    for (const kind of PRICED_KINDS) {
      const flatField = FLAT_FIELD[kind];
      if (flatField && over[flatField] !== undefined && !over.throughputs?.[kind]) {
        delete throughputs[kind];
      }
    }
    result.throughputs = throughputs;
    if (Object.keys(throughputs).length === 0) {
      delete result.throughputs;
    }
  }
  return result;
}

/** From this throughput on the per-byte term is nil (1 PB/s: a fixed overhead given in ms). */
export const NO_PER_BYTE = 1e15;

/** One kind's throughput from the measurements: its own entry, else the flat field, else the default. */
function throughputOf(kind: PricedKind, m: Measurements): IThroughput {
  const base = defaultThroughput(kind, m.store);
  const given = m.throughputs?.[kind];
  const flatField = FLAT_FIELD[kind];
  const flatRate = flatField ? m[flatField] : undefined;
  const fixed = kind === 'checkpoint' ? m.checkpointOverheadMs : kind === 'restore' ? m.restoreOverheadMs : undefined;
  let latencyMs = base.latencyMs;
  if (fixed !== undefined) {
    latencyMs = fixed;
  } else if (m.payloadLatencyMs !== undefined && kind !== 'checkpoint' && kind !== 'restore') {
    // The flat form's latency is per payload file and direction: on the write and the read.
    latencyMs = kind === 'write' || kind === 'read' ? m.payloadLatencyMs : 0;
  }
  let bytesPerSec: [number, number, number] = [...base.bytesPerSec];
  if (fixed !== undefined) {
    bytesPerSec = [NO_PER_BYTE, NO_PER_BYTE, NO_PER_BYTE];
  } else if (flatRate !== undefined) {
    bytesPerSec = [flatRate, flatRate, flatRate];
  }
  return {
    latencyMs: given?.latencyMs ?? latencyMs,
    bytesPerSec: given?.bytesPerSec ? [...given.bytesPerSec] : bytesPerSec,
    latencySamples: given?.latencySamples ?? 0,
    rateSamples: given?.rateSamples ? [...given.rateSamples] : [0, 0, 0]
  };
}

/**
 * Build the cost model of an objective from measured numbers (validated; a bad number throws a
 * `RangeError` naming the field). `weights`, when given, overrides the objective's weights.
 * `throughputs` entries take precedence over the flat fields, which set every size class at once.
 */
export function costModel(objective: Objective, measurements: Measurements = {}): ICostModel {
  const parsed = measurementsSchema.safeParse(measurements);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RangeError(`cost model: ${issue.path.join('.') || 'measurements'}: ${issue.message}`);
  }
  const m = parsed.data;
  const weights = OBJECTIVE_WEIGHTS[objective];
  if (!weights) {
    throw new RangeError(`unknown objective '${objective}': use ${objectiveChoices('')}`);
  }
  const throughputs = Object.fromEntries(PRICED_KINDS.map(kind => [kind, throughputOf(kind, m)])) as Record<
    PricedKind,
    IThroughput
  >;
  const measured = new Set<string>();
  // A flat field counts as measured unless the per-class numbers of its kind (which carry their
  // own sample counts, and win) were given too, as in a plan's model given back to replan.
  for (const kind of ['serialize', 'deserialize', 'write', 'read'] as const) {
    const field = FLAT_FIELD[kind] as NonNullable<(typeof FLAT_FIELD)[typeof kind]>;
    if (m[field] !== undefined && !m.throughputs?.[kind]) {
      measured.add(field);
    }
  }
  if (m.payloadLatencyMs !== undefined && !m.throughputs?.write) {
    measured.add('payloadLatencyMs');
  }
  if (m.targetSpeed !== undefined) {
    measured.add('targetSpeed');
  }
  if (m.transferBytesPerSec !== undefined) {
    measured.add('transferBytesPerSec');
  }
  for (const kind of PRICED_KINDS) {
    const t = throughputs[kind];
    const given = m.throughputs?.[kind];
    // Numbers given without sample counts were measured by the caller.
    const unCounted = given !== undefined && given.latencySamples === undefined && given.rateSamples === undefined;
    if (unCounted || t.latencySamples > 0 || t.rateSamples.some(n => n > 0)) {
      measured.add(MEASURED_NAME[kind]);
    }
  }
  if (m.rerunLatencyMs !== undefined && (m.rerunLatencySamples ?? 1) > 0) {
    measured.add('rerunLatencyMs');
  }
  if (m.importMsPerModule !== undefined && (m.importSamples ?? 1) > 0) {
    measured.add('importMsPerModule');
  }
  return {
    serializeBytesPerSec: throughputs.serialize.bytesPerSec[2],
    deserializeBytesPerSec: throughputs.deserialize.bytesPerSec[2],
    writeBytesPerSec: throughputs.write.bytesPerSec[2],
    readBytesPerSec: throughputs.read.bytesPerSec[2],
    payloadLatencyMs: throughputs.write.latencyMs,
    targetSpeed: m.targetSpeed ?? DEFAULT_COSTS.targetSpeed,
    ...(m.transferBytesPerSec !== undefined ? { transferBytesPerSec: m.transferBytesPerSec } : {}),
    rerunLatencyMs: m.rerunLatencyMs ?? DEFAULT_COSTS.rerunLatencyMs,
    rerunLatencySamples: m.rerunLatencySamples ?? 0,
    importMsPerModule: m.importMsPerModule ?? DEFAULT_COSTS.importMsPerModule,
    importSamples: m.importSamples ?? 0,
    throughputs,
    ...(m.store !== undefined ? { store: m.store } : {}),
    weights: m.weights ?? { ...weights },
    measured: m.weights ? [...measured, 'weights'] : [...measured]
  };
}

/** Time of one operation of `kind` on `bytes` bytes. */
export function operationMs(model: ICostModel, kind: PricedKind, bytes: number): number {
  const t = model.throughputs[kind];
  const rate = t.bytesPerSec[sizeClass(bytes)];
  return t.latencyMs + (rate >= NO_PER_BYTE ? 0 : (1000 * bytes) / rate);
}

/** Time to send `bytes` to a migration's target (nothing for a checkpoint: no transfer priced). */
export function sendMs(model: ICostModel, bytes: number): number {
  const rate = model.transferBytesPerSec;
  return rate !== undefined && rate > 0 ? (1000 * bytes) / rate : 0;
}

/** Source-side time to copy `bytes`: serialize, write out and, for a migration, send to the target. */
export function copyMigrateMs(model: ICostModel, bytes: number): number {
  return operationMs(model, 'serialize', bytes) + operationMs(model, 'write', bytes) + sendMs(model, bytes);
}

/** Target-side time to copy `bytes`: read in and deserialize. */
export function copyRestoreMs(model: ICostModel, bytes: number): number {
  return operationMs(model, 'read', bytes) + operationMs(model, 'deserialize', bytes);
}

/** Target-side time to copy a group: read in and deserialize its bytes, re-import its modules. */
export function groupRestoreMs(model: ICostModel, group: Pick<IPlannerGroup, 'sizeBytes' | 'importMs'>): number {
  return copyRestoreMs(model, group.sizeBytes) + (group.importMs ?? 0) / model.targetSpeed;
}

/**
 * What re-importing the modules an execution loaded costs on the source machine, ms. A cell that
 * only imports spent its whole recorded time importing: that time is the measurement (one
 * library's time per module varies from 0.05 to 1.3 ms, so a rate learned on numpy prices pyplot
 * at a third of its time). Otherwise its module count at the measured time per module, never
 * more than the whole execution took (a cell that imports numpy and then computes for seconds is
 * not seconds of importing).
 */
export function importingMs(
  model: ICostModel,
  execution: { durationMs: number; modulesLoaded: number; code?: string }
): number {
  if (execution.modulesLoaded > 0 && execution.code !== undefined && onlyImports(execution.code)) {
    return execution.durationMs;
  }
  return Math.min(execution.durationMs, execution.modulesLoaded * model.importMsPerModule);
}

/** Whether Python `code` holds nothing but import statements (comments and blank lines aside). */
export function onlyImports(code: string): boolean {
  let depth = 0; // open parentheses: `from x import (a,` continues on the next lines
  let continued = false; // a line ending in a backslash
  let statements = 0;
  for (const raw of code.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (depth === 0 && !continued && line !== '') {
      if (!/^(import\s|from\s+\S+\s+import\b)/.test(line)) {
        return false;
      }
      statements++;
    }
    depth = Math.max(0, depth + (line.match(/\(/g)?.length ?? 0) - (line.match(/\)/g)?.length ?? 0));
    continued = line.endsWith('\\');
  }
  return statements > 0;
}

/**
 * What the min-cut charges for re-running an execution that made objects of libraries (fitted
 * models, search results, figures), beyond its time, ms. A copy that does not verify at restore
 * is recomputed, but a re-run that does not reproduce its results has no way back, and such
 * objects hold what a re-run does not reproduce: fit timings (scikit-learn's `cv_results_`),
 * uninitialized scratch buffers (statsmodels' GLM), attributes set in a set's hash order. So
 * between copying them and re-running their cell at about the same cost, the plan copies.
 */
export const RERUN_RISK_MS = 10;

/**
 * The weighed cost of re-running `execution` in the plan's decisions, ms of restore time: its
 * whole recorded time (imports included, although every restore pays those) plus its `riskMs`.
 * The plan's `estimate` prices the time alone (`rerunWorkMs`).
 */
export function rerunDecisionMs(model: ICostModel, execution: { durationMs: number; riskMs?: number }): number {
  return rerunMs(model, execution.durationMs) + (execution.riskMs ?? 0);
}

/** What re-running `execution` costs beyond the imports every restore pays anyway, ms on the source. */
export function rerunWorkMs(execution: { durationMs: number; importMs?: number }): number {
  return Math.max(0, execution.durationMs - (execution.importMs ?? 0));
}

/** The fixed work of a restore that the plan's state needs whatever the plan: its imports, ms. */
export function importsFixedMs(model: ICostModel, importsMs: number | undefined): number {
  return (importsMs ?? 0) / model.targetSpeed;
}

/** Time to re-run an execution recorded at `durationMs` on the target. */
export function rerunMs(model: ICostModel, durationMs: number): number {
  return model.rerunLatencyMs + durationMs / model.targetSpeed;
}

/**
 * The work of a checkpoint and of a restore that no decision changes, for the state of `groups`:
 * both fingerprint all of it, hashing numpy arrays' memory (`arrayBytes`) at memory speed.
 */
export function fixedMs(
  model: ICostModel,
  groups: ReadonlyArray<Pick<IPlannerGroup, 'sizeBytes' | 'arrayBytes'>>
): { migrateMs: number; restoreMs: number } {
  let bytes = 0;
  let arrays = 0;
  for (const group of groups) {
    bytes += group.sizeBytes;
    arrays += Math.min(group.arrayBytes ?? 0, group.sizeBytes);
  }
  const hashMs = arrays > 0 ? operationMs(model, 'hash', arrays) : 0;
  return {
    migrateMs: operationMs(model, 'checkpoint', bytes - arrays) + hashMs,
    restoreMs: operationMs(model, 'restore', bytes - arrays) + hashMs
  };
}

/** The objective's cost of a migration and restoration time pair. */
export function weighted(model: ICostModel, migrateMs: number, restoreMs: number): number {
  return model.weights.migrate * migrateMs + model.weights.restore * restoreMs;
}

/**
 * Capacities are integers in these units per ms (1 unit = 1 microsecond of weighted cost): integer
 * arithmetic keeps the max-flow exact, and 2^53 units still cover centuries.
 */
export const UNITS_PER_MS = 1000;

/** A weighted cost in ms as an integer capacity (Infinity stays Infinity). */
export function toUnits(weightedMs: number): number {
  return weightedMs === Infinity ? Infinity : Math.round(weightedMs * UNITS_PER_MS);
}
