/**
 * Property tests on thousands of random sessions recorded into a real HistoryGraph: every plan is
 * feasible by the AHG's own req(g), costs exactly the max-flow value of the literal network of
 * docs/method.md section 3, and is optimal (exhaustive search on small instances, HiGHS LP on larger ones).
 */
import fc from 'fast-check';
import loadHighs from 'highs';
import {
  capacities,
  compactNetwork,
  decisionCost,
  fromGraph,
  IFeasiblePlan,
  IPlannerInput,
  literalNetwork,
  minCut,
  plan,
  SINK,
  SOURCE
} from '../../src/planner/index';
import { ahgRequirements, bruteForceCost, graphOf, IRandomSession, planAsLp, sessionArb, violation } from './helpers';

function setUp(session: IRandomSession) {
  const graph = graphOf(session.records);
  const input = fromGraph(graph, {
    objective: session.objective,
    marks: session.marks,
    measurements: session.measurements
  });
  const caps = capacities(input);
  const req = ahgRequirements(graph, input);
  return { graph, input, caps, req };
}

/** The plan's cost in capacity units, and its recomputed groups. */
function priced(input: IPlannerInput, result: IFeasiblePlan) {
  const caps = capacities(input);
  const recomputed = new Set<number>();
  const copied: number[] = [];
  result.groups.forEach((group, g) => (group.decision === 'recompute' ? recomputed.add(g) : copied.push(g)));
  return { cost: decisionCost(caps, copied, result.rerun), recomputed, copied };
}

describe('plan (properties)', () => {
  it('is feasible, costs the max-flow value and is optimal by exhaustive search', () => {
    let feasibleCount = 0;
    let infeasibleCount = 0;
    fc.assert(
      fc.property(sessionArb(10, 6), session => {
        const { input, caps, req } = setUp(session);
        const result = plan(input);
        const literal = minCut(
          literalNetwork(input, caps, g => req[g].executions),
          SOURCE,
          SINK
        ).value;
        const best = bruteForceCost(input, req);
        expect(literal).toBe(best);
        expect(minCut(compactNetwork(input, caps), SOURCE, SINK).value).toBe(best);
        if (!result.feasible) {
          infeasibleCount++;
          expect(best).toBe(Infinity);
          return;
        }
        feasibleCount++;
        const { cost, recomputed } = priced(input, result);
        expect(violation(input, caps, req, recomputed, new Set(result.rerun))).toBeNull();
        expect(cost).toBe(literal);
        // Only what recomputed groups need is re-run, in ascending order.
        const needed = new Set([...recomputed].flatMap(g => req[g].executions));
        expect(result.rerun).toEqual([...needed].sort((a, b) => a - b));
        // The copy list is exactly the members of copied groups.
        const copiedNames = result.groups
          .filter(g => g.decision === 'copy')
          .flatMap(g => g.members)
          .sort();
        expect(result.copy).toEqual(copiedNames);
      }),
      { numRuns: 2500 }
    );
    // The generator must exercise both outcomes, or the property says little.
    expect(feasibleCount).toBeGreaterThan(500);
    expect(infeasibleCount).toBeGreaterThan(10);
  });

  it('without marks, is optimal on long sessions with shared history (HiGHS LP)', async () => {
    const highs = await loadHighs();
    let solvedByFlow = 0;
    fc.assert(
      fc.property(sessionArb(120, 8, 0), session => {
        const { input, caps, req } = setUp(session);
        const result = plan(input);
        const { lp, constant } = planAsLp(input, req);
        const solution = highs.solve(lp, { output_flag: false });
        if (!result.feasible) {
          expect(solution.Status).toBe('Infeasible');
          return;
        }
        expect(solution.Status).toBe('Optimal');
        const { cost, recomputed } = priced(input, result);
        expect(violation(input, caps, req, recomputed, new Set(result.rerun))).toBeNull();
        const lpCostMs = solution.ObjectiveValue + constant;
        expect(Math.abs(cost / 1000 - lpCostMs)).toBeLessThanOrEqual(1e-6 * Math.max(1, lpCostMs));
        expect(cost).toBe(
          minCut(
            literalNetwork(input, caps, g => req[g].executions),
            SOURCE,
            SINK
          ).value
        );
        if (result.groups.some(g => g.reason.includes('together with') || g.reason.includes('its share'))) {
          solvedByFlow++;
        }
      }),
      { numRuns: 400 }
    );
    // Some plans must have needed the max-flow stage, not only the local shortcut.
    expect(solvedByFlow).toBeGreaterThan(20);
  });

  it('gives the same answer whatever the order of groups in the input', () => {
    fc.assert(
      fc.property(sessionArb(12, 6), fc.integer(), (session, seed) => {
        const { input } = setUp(session);
        const shuffled = {
          ...input,
          groups: [...input.groups].sort(() => ((seed = (seed * 1103515245 + 12345) | 0) & 1 ? 1 : -1))
        };
        const a = plan(input);
        const b = plan(shuffled);
        expect(b.feasible).toBe(a.feasible);
        if (a.feasible && b.feasible) {
          expect(priced(shuffled, b).cost).toBe(priced(input, a).cost);
        }
      }),
      { numRuns: 500 }
    );
  });
});
