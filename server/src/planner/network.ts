/**
 * The flow network of docs/method.md section 3 and its capacities.
 *
 * Node layout: 0 = source, 1 = sink, `2 + g` for group g, `2 + G + e` for execution e.
 * Groups on the sink side of the cut are copied; executions on the source side are re-run.
 *
 * Two equivalent constructions are offered:
 * - `literalNetwork`: one infinite edge g -> e for every e in req(g), as the design states it.
 *   Its size is the sum of all |req(g)|, quadratic on long chains.
 * - `compactNetwork`: infinite edges g -> producer and e -> dependency only. Because req(g) is the
 *   closure of exactly these edges, the source sides closed under infinite edges (the only finite
 *   cuts) are the same in both networks, so the minimum cuts have the same value; its size is
 *   linear in the graph.
 */
import { copyMigrateMs, groupRestoreMs, rerunDecisionMs, toUnits, weighted } from './costs';
import { FlowNetwork } from './maxflow';
import type { IPlannerInput } from './types';

/** The source node. */
export const SOURCE = 0;
/** The sink node. */
export const SINK = 1;

/** Integer capacities (1 unit = 1 µs of weighted cost) of the network's finite edges. */
export interface ICapacities {
  /** Per group: source -> group, the weighted cost of copying it; Infinity if it cannot be copied. */
  copy: Float64Array;
  /** Per group: 1 when it cannot be recomputed whatever is re-run (always-copy mark, external member). */
  mustCopy: Uint8Array;
  /** Per execution: execution -> sink, the weighted cost of re-running it; Infinity if it must not be. */
  rerun: Float64Array;
}

/** Compute the capacities from the cost model and the marks carried by the input. */
export function capacities(input: IPlannerInput): ICapacities {
  const model = input.costModel;
  const copy = new Float64Array(input.groups.length);
  const mustCopy = new Uint8Array(input.groups.length);
  input.groups.forEach((group, g) => {
    const copyable = group.unserializable.length === 0 && group.neverCopy.length === 0;
    copy[g] = copyable
      ? toUnits(weighted(model, copyMigrateMs(model, group.sizeBytes), groupRestoreMs(model, group)))
      : Infinity;
    mustCopy[g] = group.alwaysCopy.length > 0 || group.external.length > 0 ? 1 : 0;
  });
  const rerun = new Float64Array(input.executions.length);
  input.executions.forEach((execution, e) => {
    const runnable =
      !execution.neverRerun &&
      !execution.replayFailed &&
      !execution.nondeterministic &&
      execution.unresolvedInputs.length === 0;
    rerun[e] = runnable ? toUnits(weighted(model, 0, rerunDecisionMs(model, execution))) : Infinity;
  });
  return { copy, mustCopy, rerun };
}

/** The node of group `g`. */
export function groupNode(g: number): number {
  return 2 + g;
}

/** The node of execution `e` in a network of `groupCount` groups. */
export function executionNode(groupCount: number, e: number): number {
  return 2 + groupCount + e;
}

/** Edges shared by both constructions: source -> group, must-copy group -> sink, execution -> sink. */
function baseNetwork(input: IPlannerInput, caps: ICapacities, extraEdges: number): FlowNetwork {
  const G = input.groups.length;
  const E = input.executions.length;
  const network = new FlowNetwork(2 + G + E, 2 * G + E + extraEdges);
  for (let g = 0; g < G; g++) {
    network.addEdge(SOURCE, groupNode(g), caps.copy[g]);
    if (caps.mustCopy[g]) {
      // An uncuttable edge to the sink keeps the group on the sink side: copied.
      network.addEdge(groupNode(g), SINK, Infinity);
    }
  }
  for (let e = 0; e < E; e++) {
    network.addEdge(executionNode(G, e), SINK, caps.rerun[e]);
  }
  return network;
}

/** The network with an edge g -> e for every e in req(g), `required(g)` giving req(g). */
export function literalNetwork(
  input: IPlannerInput,
  caps: ICapacities,
  required: (group: number) => Iterable<number>
): FlowNetwork {
  const G = input.groups.length;
  const network = baseNetwork(input, caps, 0);
  for (let g = 0; g < G; g++) {
    for (const e of required(g)) {
      network.addEdge(groupNode(g), executionNode(G, e), Infinity);
    }
  }
  return network;
}

/** The linear-size network with group -> producer and execution -> dependency edges. */
export function compactNetwork(input: IPlannerInput, caps: ICapacities): FlowNetwork {
  const G = input.groups.length;
  let extra = 0;
  input.groups.forEach(group => (extra += group.producers.length));
  input.executions.forEach(execution => (extra += execution.depends.length));
  const network = baseNetwork(input, caps, extra);
  input.groups.forEach((group, g) => {
    for (const p of group.producers) {
      network.addEdge(groupNode(g), executionNode(G, p), Infinity);
    }
  });
  input.executions.forEach((execution, e) => {
    for (const d of execution.depends) {
      network.addEdge(executionNode(G, e), executionNode(G, d), Infinity);
    }
  });
  return network;
}

/**
 * The cost of a decision in capacity units: copied groups' copy capacities plus re-run
 * executions' re-run capacities (Infinity if the decision uses an impossible copy or re-run).
 */
export function decisionCost(caps: ICapacities, copied: Iterable<number>, rerun: Iterable<number>): number {
  let total = 0;
  for (const g of copied) {
    total += caps.copy[g];
  }
  for (const e of rerun) {
    total += caps.rerun[e];
  }
  return total;
}
