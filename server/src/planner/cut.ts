/**
 * The copy-or-recompute decision: the minimum cut of the compact network, after reductions that
 * keep it exact but let most groups be decided without running max-flow.
 *
 * 1. Groups that cannot be recomputed (must-copy, or req(g) hits an execution that cannot be
 *    re-run) are copied; groups that cannot be copied are recomputed, and the executions they
 *    need are paid for (capacity 0 for everyone else). Both are forced in every finite cut.
 * 2. Only executions needed by an undecided group stay in the network; the network falls apart
 *    into independent components (union-find over producer and dependency edges).
 * 3. A component with one group is decided locally: recompute iff re-running the whole component
 *    (which is exactly its req minus what is paid) costs no more than copying.
 * 4. The remaining components are solved together by push-relabel.
 *
 * Ties go to recompute, which is what the largest minimum-cut source side gives too.
 */
import { FlowNetwork, minCut } from './maxflow';
import type { ICapacities } from './network';
import { RequirementWalker } from './requirements';
import type { IPlannerInput } from './types';

/** Why a group got its decision, for the explanation. */
export enum DecisionReason {
  /** Marked "always copy" or has a member from outside the recorded history. */
  MustCopy,
  /** req(g) contains an execution that cannot or must not be re-run. */
  Blocked,
  /** It cannot be copied (unserializable or "never copy"). */
  CannotCopy,
  /** Its executions are shared with no other undecided group: copy and recompute compared directly. */
  Local,
  /** Decided by the minimum cut together with groups sharing executions. */
  Shared,
  /** The previous plan's decision, kept because changing it saves less than the stability margin. */
  Kept
}

/** The outcome of `decide`. */
export interface IDecision {
  /** Per group: 1 = recompute, 0 = copy. */
  recompute: Uint8Array;
  /** Per group: the reason. */
  reasons: DecisionReason[];
  /** The executions to re-run (the closure of the recomputed groups), ascending. */
  rerun: number[];
  /** Groups solved by max-flow, and that network's size (for diagnostics). */
  solved: { groups: number; nodes: number; edges: number };
}

/**
 * Per execution, 1 when re-running it is impossible: its own capacity is infinite, or so is that of
 * an execution it depends on. Dependencies precede their dependents, so one forward pass suffices.
 */
export function blockedExecutions(input: IPlannerInput, caps: ICapacities): Uint8Array {
  const blocked = new Uint8Array(input.executions.length);
  input.executions.forEach((execution, e) => {
    let b = caps.rerun[e] === Infinity ? 1 : 0;
    for (let i = 0; b === 0 && i < execution.depends.length; i++) {
      b = blocked[execution.depends[i]];
    }
    blocked[e] = b;
  });
  return blocked;
}

/** Per group, 1 when the group can only be copied. */
export function copyOnlyGroups(input: IPlannerInput, caps: ICapacities, blocked: Uint8Array): Uint8Array {
  const result = new Uint8Array(input.groups.length);
  input.groups.forEach((group, g) => {
    result[g] = caps.mustCopy[g] || group.producers.some(p => blocked[p] === 1) ? 1 : 0;
  });
  return result;
}

/**
 * Decide every group of a feasible input (no group both copy-only and uncopyable).
 */
export function decide(
  input: IPlannerInput,
  caps: ICapacities,
  walker: RequirementWalker,
  blocked: Uint8Array = blockedExecutions(input, caps),
  copyOnly: Uint8Array = copyOnlyGroups(input, caps, blocked)
): IDecision {
  const G = input.groups.length;
  const E = input.executions.length;
  const recompute = new Uint8Array(G);
  const reasons: DecisionReason[] = new Array(G);
  const paid = new Uint8Array(E);
  const free: number[] = [];
  for (let g = 0; g < G; g++) {
    if (copyOnly[g]) {
      reasons[g] = caps.mustCopy[g] ? DecisionReason.MustCopy : DecisionReason.Blocked;
    } else if (caps.copy[g] === Infinity) {
      recompute[g] = 1;
      reasons[g] = DecisionReason.CannotCopy;
      walker.walk(
        input.groups[g].producers,
        e => (paid[e] = 1),
        e => paid[e] === 1
      );
    } else {
      free.push(g);
    }
  }

  // Executions still to be priced: needed by an undecided group and not already paid.
  const needed: number[] = [];
  walker.walkGroups(
    free,
    e => needed.push(e),
    e => paid[e] === 1
  );

  // Components over groups (ids 0..G-1) and executions (ids G + e).
  const parent = new Int32Array(G + E);
  for (let i = 0; i < parent.length; i++) {
    parent[i] = i;
  }
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  const union = (a: number, b: number): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) {
      parent[ra] = rb;
    }
  };
  for (const g of free) {
    for (const p of input.groups[g].producers) {
      if (!paid[p]) {
        union(g, G + p);
      }
    }
  }
  for (const e of needed) {
    for (const d of input.executions[e].depends) {
      if (!paid[d]) {
        union(G + e, G + d);
      }
    }
  }
  const groupsIn = new Int32Array(G + E);
  const rerunCost = new Float64Array(G + E);
  for (const g of free) {
    groupsIn[find(g)]++;
  }
  for (const e of needed) {
    rerunCost[find(G + e)] += caps.rerun[e];
  }

  const shared: number[] = [];
  for (const g of free) {
    const root = find(g);
    if (groupsIn[root] === 1) {
      reasons[g] = DecisionReason.Local;
      recompute[g] = rerunCost[root] <= caps.copy[g] ? 1 : 0;
    } else {
      reasons[g] = DecisionReason.Shared;
      shared.push(g);
    }
  }
  const solved = solveShared(input, caps, shared, needed, paid, find, groupsIn, recompute);

  const rerun: number[] = [];
  const recomputed: number[] = [];
  for (let g = 0; g < G; g++) {
    if (recompute[g]) {
      recomputed.push(g);
    }
  }
  walker.walkGroups(recomputed, e => rerun.push(e));
  rerun.sort((a, b) => a - b);
  return { recompute, reasons, rerun, solved };
}

/** Min cut over the components holding several undecided groups; writes `recompute`. */
function solveShared(
  input: IPlannerInput,
  caps: ICapacities,
  shared: number[],
  needed: number[],
  paid: Uint8Array,
  find: (x: number) => number,
  groupsIn: Int32Array,
  recompute: Uint8Array
): IDecision['solved'] {
  if (shared.length === 0) {
    return { groups: 0, nodes: 0, edges: 0 };
  }
  const G = input.groups.length;
  // Local node ids: 0 source, 1 sink, then shared groups, then their executions.
  const nodeOf = new Int32Array(input.executions.length).fill(-1);
  let next = 2 + shared.length;
  const executions: number[] = [];
  for (const e of needed) {
    if (groupsIn[find(G + e)] > 1) {
      nodeOf[e] = next++;
      executions.push(e);
    }
  }
  let edges = 0;
  for (const g of shared) {
    edges += 1 + input.groups[g].producers.length;
  }
  for (const e of executions) {
    edges += 1 + input.executions[e].depends.length;
  }
  const network = new FlowNetwork(next, edges);
  shared.forEach((g, i) => {
    network.addEdge(0, 2 + i, caps.copy[g]);
    for (const p of input.groups[g].producers) {
      if (!paid[p]) {
        network.addEdge(2 + i, nodeOf[p], Infinity);
      }
    }
  });
  for (const e of executions) {
    network.addEdge(nodeOf[e], 1, caps.rerun[e]);
    for (const d of input.executions[e].depends) {
      if (!paid[d]) {
        network.addEdge(nodeOf[e], nodeOf[d], Infinity);
      }
    }
  }
  const cut = minCut(network, 0, 1);
  shared.forEach((g, i) => {
    recompute[g] = cut.sourceSide[2 + i];
  });
  return { groups: shared.length, nodes: next, edges: network.edgeCount };
}
