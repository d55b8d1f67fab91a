/**
 * A generic maximum-flow / minimum-cut solver: highest-label push-relabel with the gap and global
 * relabelling heuristics (Cherkassky and Goldberg), first phase only, since the planner needs the
 * cut and the flow value, not a flow decomposition.
 *
 * - Capacities are non-negative numbers or `Infinity`. The result is exact for integer
 *   capacities up to 2^53 in total; other floats are subject to ordinary rounding.
 * - Everything is iterative and kept in typed arrays, so graphs of millions of edges neither blow
 *   the stack nor allocate per edge.
 */

/** A directed graph with capacities, built edge by edge. Node ids are `0 .. nodeCount - 1`. */
export class FlowNetwork {
  /** Number of nodes. */
  readonly nodeCount: number;
  private tails: Int32Array;
  private heads: Int32Array;
  private caps: Float64Array;
  private count = 0;

  /**
   * @param nodeCount - number of nodes.
   * @param edgeCapacityHint - expected number of edges (storage grows as needed).
   */
  constructor(nodeCount: number, edgeCapacityHint = 16) {
    if (!Number.isInteger(nodeCount) || nodeCount < 2) {
      throw new RangeError(`a flow network needs an integer number of nodes >= 2, got ${nodeCount}`);
    }
    this.nodeCount = nodeCount;
    const size = Math.max(4, Math.ceil(edgeCapacityHint));
    this.tails = new Int32Array(size);
    this.heads = new Int32Array(size);
    this.caps = new Float64Array(size);
  }

  /** Number of edges added so far. */
  get edgeCount(): number {
    return this.count;
  }

  /**
   * Add the edge `from -> to` with the given capacity (`Infinity` for an uncuttable edge).
   *
   * @returns the edge id (consecutive from 0).
   */
  addEdge(from: number, to: number, capacity: number): number {
    this.checkNode(from, 'from');
    this.checkNode(to, 'to');
    if (!(capacity >= 0)) {
      // Also rejects NaN.
      throw new RangeError(`edge ${from} -> ${to}: capacity must be >= 0 or Infinity, got ${capacity}`);
    }
    if (this.count === this.tails.length) {
      this.grow();
    }
    const id = this.count++;
    this.tails[id] = from;
    this.heads[id] = to;
    this.caps[id] = capacity;
    return id;
  }

  /** The tail of an edge. */
  edgeFrom(edge: number): number {
    return this.tails[edge];
  }

  /** The head of an edge. */
  edgeTo(edge: number): number {
    return this.heads[edge];
  }

  /** The capacity of an edge. */
  edgeCapacity(edge: number): number {
    return this.caps[edge];
  }

  private checkNode(node: number, role: string): void {
    if (!Number.isInteger(node) || node < 0 || node >= this.nodeCount) {
      throw new RangeError(`edge ${role} node ${node} is not in 0..${this.nodeCount - 1}`);
    }
  }

  private grow(): void {
    const size = this.tails.length * 2;
    const tails = new Int32Array(size);
    const heads = new Int32Array(size);
    const caps = new Float64Array(size);
    tails.set(this.tails);
    heads.set(this.heads);
    caps.set(this.caps);
    this.tails = tails;
    this.heads = heads;
    this.caps = caps;
  }
}

/** A minimum s-t cut. */
export interface IMinCut {
  /** The cut capacity, which equals the maximum flow value; `Infinity` when every cut is infinite. */
  value: number;
  /**
   * 1 for nodes on the source side. For a finite cut this is the largest source side among all
   * minimum cuts (the nodes that cannot reach the sink in the final residual graph). For an
   * infinite cut it is the set of nodes reachable from the source through infinite edges.
   */
  sourceSide: Uint8Array;
}

/**
 * Solve the minimum s-t cut (and so the maximum flow value) of a network.
 */
export function minCut(network: FlowNetwork, source: number, sink: number): IMinCut {
  const n = network.nodeCount;
  if (source === sink) {
    throw new RangeError(`source and sink must differ, both are ${source}`);
  }
  for (const [role, node] of [
    ['source', source],
    ['sink', sink]
  ] as const) {
    if (!Number.isInteger(node) || node < 0 || node >= n) {
      throw new RangeError(`${role} ${node} is not in 0..${n - 1}`);
    }
  }
  const infiniteReach = reachThroughInfiniteEdges(network, source);
  if (infiniteReach[sink] === 1) {
    return { value: Infinity, sourceSide: infiniteReach };
  }
  return new PushRelabel(network, source, sink).run();
}

/** Nodes reachable from `start` using only infinite-capacity edges. */
function reachThroughInfiniteEdges(network: FlowNetwork, start: number): Uint8Array {
  const n = network.nodeCount;
  const m = network.edgeCount;
  const degree = new Int32Array(n + 1);
  for (let e = 0; e < m; e++) {
    if (network.edgeCapacity(e) === Infinity) {
      degree[network.edgeFrom(e) + 1]++;
    }
  }
  for (let v = 0; v < n; v++) {
    degree[v + 1] += degree[v];
  }
  const fill = degree.slice(0, n);
  const targets = new Int32Array(degree[n]);
  for (let e = 0; e < m; e++) {
    if (network.edgeCapacity(e) === Infinity) {
      targets[fill[network.edgeFrom(e)]++] = network.edgeTo(e);
    }
  }
  const seen = new Uint8Array(n);
  const queue = new Int32Array(n);
  let tail = 0;
  seen[start] = 1;
  queue[tail++] = start;
  for (let head = 0; head < tail; head++) {
    const v = queue[head];
    for (let a = degree[v]; a < degree[v + 1]; a++) {
      const w = targets[a];
      if (seen[w] === 0) {
        seen[w] = 1;
        queue[tail++] = w;
      }
    }
  }
  return seen;
}

/**
 * The push-relabel state. Arcs are stored in CSR order by tail: each edge gives a forward arc
 * with its capacity and a reverse arc with 0, linked through `arcRev`.
 */
class PushRelabel {
  private readonly n: number;
  private readonly s: number;
  private readonly t: number;
  private readonly arcStart: Int32Array;
  private readonly arcTo: Int32Array;
  private readonly arcRev: Int32Array;
  private readonly arcRes: Float64Array;
  private readonly height: Int32Array;
  private readonly excess: Float64Array;
  private readonly current: Int32Array;
  // Active nodes by height (singly linked) and all live nodes by height (doubly linked, for gaps).
  private readonly activeHead: Int32Array;
  private readonly activeNext: Int32Array;
  private readonly levelHead: Int32Array;
  private readonly levelNext: Int32Array;
  private readonly levelPrev: Int32Array;
  private readonly levelCount: Int32Array;
  private readonly queue: Int32Array;
  private maxActive = -1;
  private maxLevel = -1;
  private workSinceRelabel = 0;
  private readonly relabelThreshold: number;

  constructor(network: FlowNetwork, source: number, sink: number) {
    const n = network.nodeCount;
    const m = network.edgeCount;
    this.n = n;
    this.s = source;
    this.t = sink;
    // Infinite edges become one capacity larger than every finite cut together: as no all-infinite
    // path exists, some finite cut exists, so no minimum cut uses such an edge.
    let finiteTotal = 0;
    for (let e = 0; e < m; e++) {
      const c = network.edgeCapacity(e);
      if (c !== Infinity) {
        finiteTotal += c;
      }
    }
    const big = finiteTotal * 2 + 1;
    const start = new Int32Array(n + 1);
    for (let e = 0; e < m; e++) {
      start[network.edgeFrom(e) + 1]++;
      start[network.edgeTo(e) + 1]++;
    }
    for (let v = 0; v < n; v++) {
      start[v + 1] += start[v];
    }
    const fill = start.slice(0, n);
    this.arcStart = start;
    this.arcTo = new Int32Array(2 * m);
    this.arcRev = new Int32Array(2 * m);
    this.arcRes = new Float64Array(2 * m);
    for (let e = 0; e < m; e++) {
      const u = network.edgeFrom(e);
      const v = network.edgeTo(e);
      const c = network.edgeCapacity(e);
      const fwd = fill[u]++;
      const back = fill[v]++;
      this.arcTo[fwd] = v;
      this.arcTo[back] = u;
      this.arcRev[fwd] = back;
      this.arcRev[back] = fwd;
      this.arcRes[fwd] = c === Infinity ? big : c;
    }
    this.height = new Int32Array(n);
    this.excess = new Float64Array(n);
    this.current = start.slice(0, n);
    this.activeHead = new Int32Array(n + 1).fill(-1);
    this.activeNext = new Int32Array(n).fill(-1);
    this.levelHead = new Int32Array(n + 1).fill(-1);
    this.levelNext = new Int32Array(n).fill(-1);
    this.levelPrev = new Int32Array(n).fill(-1);
    this.levelCount = new Int32Array(n + 1);
    this.queue = new Int32Array(n);
    this.relabelThreshold = 6 * n + 2 * m;
  }

  run(): IMinCut {
    const { s, arcStart, arcTo, arcRev, arcRes, excess } = this;
    // Saturate every arc out of the source.
    for (let a = arcStart[s]; a < arcStart[s + 1]; a++) {
      const delta = arcRes[a];
      if (delta > 0) {
        arcRes[a] = 0;
        arcRes[arcRev[a]] += delta;
        excess[arcTo[a]] += delta;
        excess[s] -= delta;
      }
    }
    this.globalRelabel();
    while (this.maxActive >= 0) {
      const v = this.activeHead[this.maxActive];
      if (v < 0) {
        this.maxActive--;
        continue;
      }
      this.activeHead[this.maxActive] = this.activeNext[v];
      this.discharge(v);
      if (this.workSinceRelabel > this.relabelThreshold) {
        this.globalRelabel();
      }
    }
    return { value: this.excess[this.t], sourceSide: this.sourceSide() };
  }

  /** Push the excess of `v` to lower neighbours, relabelling when none is admissible. */
  private discharge(v: number): void {
    const { n, arcStart, arcTo, arcRev, arcRes, height, excess, current, t, s } = this;
    const end = arcStart[v + 1];
    while (excess[v] > 0) {
      const h = height[v];
      let a = current[v];
      for (; a < end; a++) {
        if (arcRes[a] <= 0) {
          continue;
        }
        const w = arcTo[a];
        if (height[w] !== h - 1) {
          continue;
        }
        const delta = excess[v] < arcRes[a] ? excess[v] : arcRes[a];
        arcRes[a] -= delta;
        arcRes[arcRev[a]] += delta;
        excess[v] -= delta;
        if (excess[w] === 0 && w !== t && w !== s) {
          this.pushActive(w);
        }
        excess[w] += delta;
        if (excess[v] === 0) {
          break;
        }
      }
      current[v] = a;
      if (excess[v] === 0) {
        return;
      }
      // No admissible arc left: relabel, or cut off everything above an emptied level.
      if (this.levelCount[h] === 1) {
        this.gap(h);
        return;
      }
      let lowest = n;
      for (let b = arcStart[v]; b < end; b++) {
        if (arcRes[b] > 0 && height[arcTo[b]] < lowest) {
          lowest = height[arcTo[b]];
        }
      }
      this.workSinceRelabel += 12 + end - arcStart[v];
      this.levelRemove(v);
      current[v] = arcStart[v];
      if (lowest + 1 >= n) {
        // The sink is unreachable from v: it stays on the source side.
        height[v] = n;
        return;
      }
      height[v] = lowest + 1;
      this.levelInsert(v);
    }
  }

  /** Level `h` holds only the node being relabelled: every node at `h` or above is cut off. */
  private gap(h: number): void {
    const { n, height } = this;
    for (let level = h; level <= this.maxLevel; level++) {
      for (let v = this.levelHead[level]; v >= 0; v = this.levelNext[v]) {
        height[v] = n;
      }
      this.levelHead[level] = -1;
      this.levelCount[level] = 0;
      this.activeHead[level] = -1;
    }
    this.maxLevel = h - 1;
    if (this.maxActive > h - 1) {
      this.maxActive = h - 1;
    }
  }

  /** Exact distances to the sink by a backward breadth-first search of the residual graph. */
  private globalRelabel(): void {
    const { n, t, s, arcStart, arcTo, arcRev, arcRes, height, excess, queue } = this;
    this.workSinceRelabel = 0;
    height.fill(n);
    this.activeHead.fill(-1);
    this.levelHead.fill(-1);
    this.levelCount.fill(0);
    this.maxActive = -1;
    this.maxLevel = -1;
    height[t] = 0;
    let tail = 0;
    queue[tail++] = t;
    for (let head = 0; head < tail; head++) {
      const w = queue[head];
      const next = height[w] + 1;
      for (let a = arcStart[w]; a < arcStart[w + 1]; a++) {
        const v = arcTo[a];
        // v reaches w when the arc v -> w (the reverse of a) has residual capacity.
        if (height[v] === n && v !== s && arcRes[arcRev[a]] > 0) {
          height[v] = next;
          queue[tail++] = v;
        }
      }
    }
    for (let i = 1; i < tail; i++) {
      const v = queue[i];
      this.current[v] = arcStart[v];
      this.levelInsert(v);
      if (excess[v] > 0) {
        this.pushActive(v);
      }
    }
  }

  private pushActive(v: number): void {
    const h = this.height[v];
    if (h >= this.n) {
      return;
    }
    this.activeNext[v] = this.activeHead[h];
    this.activeHead[h] = v;
    if (h > this.maxActive) {
      this.maxActive = h;
    }
  }

  private levelInsert(v: number): void {
    const h = this.height[v];
    const first = this.levelHead[h];
    this.levelNext[v] = first;
    this.levelPrev[v] = -1;
    if (first >= 0) {
      this.levelPrev[first] = v;
    }
    this.levelHead[h] = v;
    this.levelCount[h]++;
    if (h > this.maxLevel) {
      this.maxLevel = h;
    }
  }

  private levelRemove(v: number): void {
    const h = this.height[v];
    const prev = this.levelPrev[v];
    const next = this.levelNext[v];
    if (prev >= 0) {
      this.levelNext[prev] = next;
    } else {
      this.levelHead[h] = next;
    }
    if (next >= 0) {
      this.levelPrev[next] = prev;
    }
    this.levelCount[h]--;
  }

  /** Nodes that cannot reach the sink in the residual graph. */
  private sourceSide(): Uint8Array {
    const { n, t, arcStart, arcTo, arcRev, arcRes, queue } = this;
    const reaches = new Uint8Array(n);
    reaches[t] = 1;
    let tail = 0;
    queue[tail++] = t;
    for (let head = 0; head < tail; head++) {
      const w = queue[head];
      for (let a = arcStart[w]; a < arcStart[w + 1]; a++) {
        const v = arcTo[a];
        if (reaches[v] === 0 && arcRes[arcRev[a]] > 0) {
          reaches[v] = 1;
          queue[tail++] = v;
        }
      }
    }
    const side = new Uint8Array(n);
    for (let v = 0; v < n; v++) {
      side[v] = reaches[v] ^ 1;
    }
    return side;
  }
}
