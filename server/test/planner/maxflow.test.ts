/**
 * The generic min-cut solver against exhaustive search (small networks) and a max-flow linear
 * program solved by HiGHS (larger ones), plus infinite capacities, deep graphs and bad input.
 */
import fc from 'fast-check';
import loadHighs from 'highs';
import { FlowNetwork, minCut } from '../../src/planner/maxflow';

interface IEdge {
  from: number;
  to: number;
  cap: number;
}

const networkArb = (maxNodes: number, maxEdges: number, withInfinity: boolean) =>
  fc.integer({ min: 2, max: maxNodes }).chain(n =>
    fc.record({
      n: fc.constant(n),
      edges: fc.array(
        fc.record({
          from: fc.integer({ min: 0, max: n - 1 }),
          to: fc.integer({ min: 0, max: n - 1 }),
          cap: withInfinity
            ? fc.oneof(
                { weight: 6, arbitrary: fc.integer({ min: 0, max: 50 }) },
                { weight: 1, arbitrary: fc.constant(Infinity) }
              )
            : fc.integer({ min: 0, max: 1e6 })
        }),
        { maxLength: maxEdges }
      )
    })
  );

function build(n: number, edges: IEdge[]): FlowNetwork {
  const network = new FlowNetwork(n);
  edges.forEach(e => network.addEdge(e.from, e.to, e.cap));
  return network;
}

/** Capacity of the cut whose source side is `side`. */
function cutCapacity(edges: IEdge[], side: (v: number) => boolean): number {
  return edges.reduce((sum, e) => (side(e.from) && !side(e.to) ? sum + e.cap : sum), 0);
}

/** Exhaustive minimum over every source side containing 0 and not 1. */
function bruteMinCut(n: number, edges: IEdge[]): number {
  let best = Infinity;
  for (let mask = 0; mask < 1 << (n - 2); mask++) {
    const side = (v: number) => v === 0 || (v >= 2 && (mask & (1 << (v - 2))) !== 0);
    best = Math.min(best, cutCapacity(edges, side));
  }
  return best;
}

describe('minCut', () => {
  it('matches exhaustive search on thousands of small networks, with a consistent cut', () => {
    fc.assert(
      fc.property(networkArb(9, 30, true), ({ n, edges }) => {
        const cut = minCut(build(n, edges), 0, 1);
        expect(cut.value).toBe(bruteMinCut(n, edges));
        expect(cut.sourceSide[0]).toBe(1);
        if (cut.value !== Infinity) {
          expect(cut.sourceSide[1]).toBe(0);
          // The reported side is itself a cut of exactly that value.
          expect(cutCapacity(edges, v => cut.sourceSide[v] === 1)).toBe(cut.value);
        } else {
          expect(cut.sourceSide[1]).toBe(1);
        }
      }),
      { numRuns: 3000 }
    );
  });

  it('returns the largest minimum source side', () => {
    // Two equal cuts: {s} (cost 5) and {s, a} (cost 5): the larger side wins.
    const network = new FlowNetwork(3);
    network.addEdge(0, 2, 5);
    network.addEdge(2, 1, 5);
    const cut = minCut(network, 0, 1);
    expect(cut.value).toBe(5);
    expect([...cut.sourceSide]).toEqual([1, 0, 1]);
  });

  it('matches a max-flow linear program solved by HiGHS on larger networks', async () => {
    const highs = await loadHighs();
    fc.assert(
      fc.property(networkArb(60, 300, false), ({ n, edges }) => {
        // Self-loops carry no net flow: leave them out.
        const inflow = (v: number) =>
          edges
            .map((e, i) => (e.from === e.to ? '' : e.to === v ? `+ f${i}` : e.from === v ? `- f${i}` : ''))
            .filter(Boolean);
        const rows: string[] = [];
        for (let v = 2; v < n; v++) {
          const terms = inflow(v);
          if (terms.length > 0) {
            rows.push(` v${v}: ${terms.join(' ')} = 0`);
          }
        }
        const value = inflow(1);
        const lp = [
          'Maximize',
          ` obj: ${value.length > 0 ? value.join(' ') : '0 f0'}`,
          'Subject To',
          ...(rows.length > 0 ? rows : [' dummy: z >= 0']),
          'Bounds',
          ...edges.map((e, i) => ` 0 <= f${i} <= ${e.cap}`),
          ' z >= 0',
          ' f0 >= 0',
          'End'
        ].join('\n');
        const solution = highs.solve(lp, { output_flag: false });
        expect(solution.Status).toBe('Optimal');
        const cut = minCut(build(n, edges), 0, 1);
        // Flow leaving the sink again (edges out of 1) is part of the LP's net inflow.
        expect(Math.abs(cut.value - solution.ObjectiveValue)).toBeLessThanOrEqual(1e-6 * Math.max(1, cut.value));
      }),
      { numRuns: 300 }
    );
  });

  it('handles fractional capacities', () => {
    const network = new FlowNetwork(4);
    network.addEdge(0, 2, 0.5);
    network.addEdge(0, 3, 0.25);
    network.addEdge(2, 1, 1);
    network.addEdge(3, 1, 0.125);
    expect(minCut(network, 0, 1).value).toBe(0.625);
  });

  it('reports an infinite cut when an all-infinite path exists, with the infinite reach', () => {
    const network = new FlowNetwork(5);
    network.addEdge(0, 2, Infinity);
    network.addEdge(2, 3, Infinity);
    network.addEdge(3, 1, Infinity);
    network.addEdge(0, 4, 7);
    network.addEdge(4, 1, 3);
    const cut = minCut(network, 0, 1);
    expect(cut.value).toBe(Infinity);
    expect([...cut.sourceSide]).toEqual([1, 1, 1, 1, 0]);
  });

  it('never cuts an infinite edge when a finite cut exists, even if infinite edges dominate', () => {
    const network = new FlowNetwork(4);
    network.addEdge(0, 2, Infinity);
    network.addEdge(2, 3, Infinity);
    network.addEdge(3, 1, 1e12);
    network.addEdge(2, 1, 1);
    const cut = minCut(network, 0, 1);
    expect(cut.value).toBe(1e12 + 1);
    expect([...cut.sourceSide]).toEqual([1, 0, 1, 1]);
  });

  it('solves a 200,000-node chain without recursion limits', () => {
    const n = 200_002;
    const network = new FlowNetwork(n, 2 * n);
    // source -> v2 -> v3 -> ... -> v(n-1), each vi -> sink with capacity 1, chain edges infinite.
    network.addEdge(0, 2, 150_000);
    for (let v = 2; v < n; v++) {
      if (v + 1 < n) {
        network.addEdge(v, v + 1, Infinity);
      }
      network.addEdge(v, 1, 1);
    }
    const cut = minCut(network, 0, 1);
    expect(cut.value).toBe(150_000);
    expect(cut.sourceSide[2]).toBe(0);
  });

  it('rejects bad input with specific errors', () => {
    expect(() => new FlowNetwork(1)).toThrow('nodes >= 2');
    const network = new FlowNetwork(3);
    expect(() => network.addEdge(0, 3, 1)).toThrow('edge to node 3 is not in 0..2');
    expect(() => network.addEdge(0, 1, -1)).toThrow('capacity must be >= 0');
    expect(() => network.addEdge(0, 1, NaN)).toThrow('capacity must be >= 0');
    expect(() => minCut(network, 1, 1)).toThrow('source and sink must differ');
    expect(() => minCut(network, 0, 5)).toThrow('sink 5 is not in 0..2');
    expect(network.edgeCount).toBe(0);
  });

  it('grows its edge storage beyond the hint', () => {
    const network = new FlowNetwork(3, 1);
    for (let i = 0; i < 100; i++) {
      network.addEdge(0, 2, 1);
    }
    network.addEdge(2, 1, 1000);
    expect(network.edgeCount).toBe(101);
    expect(minCut(network, 0, 1).value).toBe(100);
  });
});
