import { HistoryGraph } from '../../src/ahg/graph';
import { fromGraph, plan } from '../../src/planner/index';
import { estimate } from '../../src/planner/explain';
import { copyRestoreMs, onlyImports, RERUN_RISK_MS } from '../../src/planner/costs';
import { executionRecordSchema } from '../../src/schemas';
import { record } from '../companion/records';

/**
 * `import time` then a slow computation in one cell, and a tiny result: copying the result and
 * the module is cheapest, unless re-importing the module is priced as the whole cell.
 */
function session(modulesLoaded: number | undefined): HistoryGraph {
  const graph = new HistoryGraph();
  graph.add(
    record(0, {
      code: 'import time\ntime.sleep(0.4)\nmodel = {"weights": [1, 2, 3]}',
      writes: ['model', 'time'],
      groups: [['model'], ['time']],
      durationMs: 400,
      variables: {
        model: { type: 'builtins.dict', size: 10, serializable: true },
        time: { type: 'builtins.module', size: 0, serializable: true }
      },
      ...(modulesLoaded === undefined ? {} : { modulesLoaded })
    })
  );
  return graph;
}

describe('re-importing a module variable', () => {
  test('costs nothing when the importing cell loaded no module (it was loaded already)', () => {
    const input = fromGraph(session(undefined), { objective: 'balanced' });
    expect(input.importsMs).toBeUndefined();
    expect(input.executions[0].importMs).toBeUndefined();
    const result = plan(input);
    expect(result.feasible && result.copy).toEqual(['model', 'time']);
    expect(result.feasible && result.rerun).toEqual([]);
  });

  test('is fixed work of every restore when the importing cell loaded that many modules', () => {
    const input = fromGraph(session(1000), { objective: 'balanced' }); // 1000 modules: 800 ms by default
    expect(input.importsMs).toBe(400); // at most what the cell took
    expect(input.executions[0].importMs).toBe(400);
    const result = plan(input);
    // The estimate pays the import once whatever the plan...
    expect(result.feasible && result.estimate.fixed!.restoreMs).toBeGreaterThanOrEqual(400);
    // ...and the cut weighs the re-run at its whole time (a re-run that does not reproduce has no
    // way back, a copy has): copying two tiny groups wins.
    expect(result.feasible && result.copy).toEqual(['model', 'time']);
    expect(result.feasible && result.estimate.restoreMs).toBeLessThan(400 + 200);
  });

  test('costs its modules at the time per module, not the rest of its cell', () => {
    const input = fromGraph(session(12), { objective: 'balanced', measurements: { importMsPerModule: 2 } });
    expect(input.importsMs).toBe(24);
    expect(input.executions[0].importMs).toBe(24);
    const result = plan(input);
    // Re-importing 12 modules is far cheaper than sleeping again.
    expect(result.feasible && result.copy).toEqual(['model', 'time']);
    expect(result.feasible && result.rerun).toEqual([]);
  });

  test('a cell that only imports costs its whole recorded time: that time is the measurement', () => {
    const graph = new HistoryGraph();
    graph.add(
      record(0, {
        code: '# the libraries\nimport numpy as np\nfrom matplotlib import (\n    pyplot as plt,  # plotting\n)\n',
        writes: ['np', 'plt'],
        groups: [['np'], ['plt']],
        durationMs: 330,
        modulesLoaded: 242, // 97 ms at the default 0.4 ms per module learned on numpy alone
        variables: {
          np: { type: 'builtins.module', size: 0, serializable: true },
          plt: { type: 'builtins.module', size: 0, serializable: true }
        }
      })
    );
    const input = fromGraph(graph, { objective: 'balanced', measurements: { importMsPerModule: 0.4 } });
    expect(input.importsMs).toBe(330);
    expect(onlyImports('import os\nimport sys as system\nfrom a.b import c, \\\n    d')).toBe(true);
    expect(onlyImports('import time\ntime.sleep(1)')).toBe(false);
    expect(onlyImports("get_ipython().run_line_magic('matplotlib', 'inline')\nimport numpy")).toBe(false);
    expect(onlyImports('# nothing but a comment\n')).toBe(false);
    expect(onlyImports('from x import (a,\n  b)\nvalue = 1')).toBe(false);
  });

  test('the agent-reported count is validated', () => {
    expect(executionRecordSchema.safeParse(record(0, { modulesLoaded: 3 })).success).toBe(true);
    expect(executionRecordSchema.safeParse(record(0, { modulesLoaded: -1 })).success).toBe(false);
    expect(executionRecordSchema.safeParse({ ...record(0), modulesLoaded: 'many' }).success).toBe(false);
  });
});

/**
 * `import numpy` in one cell; `from sklearn.ensemble import Forest` and a fit in the next, which
 * loaded scikit-learn (and SciPy) for the first time: both the fitted estimator and the class
 * name bind to scikit-learn, so loading either at restore imports it.
 */
function librarySession(): HistoryGraph {
  const graph = new HistoryGraph();
  graph.add(
    record(0, {
      code: 'import numpy as np',
      writes: ['np'],
      groups: [['np']],
      durationMs: 100,
      modulesLoaded: 40,
      packagesLoaded: ['numpy'],
      variables: { np: { type: 'builtins.module', size: 0, serializable: true } }
    })
  );
  graph.add(
    record(1, {
      code: 'from sklearn.ensemble import Forest\nforest = Forest().fit(np.ones((9, 2)), np.ones(9))',
      reads: ['np'],
      writes: ['Forest', 'forest'],
      groups: [['Forest'], ['forest'], ['np']],
      durationMs: 1000,
      modulesLoaded: 2000,
      packagesLoaded: ['joblib', 'scipy', 'sklearn'],
      variables: {
        Forest: { type: 'abc.ABCMeta', size: 0, serializable: true, definedIn: 'sklearn.ensemble._forest' },
        forest: { type: 'sklearn.ensemble._forest.Forest', size: 50_000, serializable: true }
      }
    })
  );
  return graph;
}

describe('importing the library of an object of the state', () => {
  test('is the first execution that loaded the library, found by type or by defining module, paid once', () => {
    const input = fromGraph(librarySession(), { objective: 'balanced' });
    // numpy's cell (np) and scikit-learn's (Forest, forest): each import counted once.
    expect(input.executions[0].importMs).toBe(100); // a cell of imports only: its whole time
    expect(input.executions[1].importMs).toBe(1000); // 2000 modules at 0.8 ms, at most the cell's 1000 ms
    expect(input.importsMs).toBe(1100);
  });

  test('a library no recorded execution loaded costs nothing (the kernel had it)', () => {
    const graph = new HistoryGraph();
    graph.add(
      record(0, {
        writes: ['frame'],
        groups: [['frame']],
        variables: { frame: { type: 'pandas.core.frame.DataFrame', size: 100, serializable: true } }
      })
    );
    const input = fromGraph(graph, { objective: 'balanced' });
    expect(input.importsMs).toBeUndefined();
  });

  test('is fixed work whatever the plan: copying the estimator and re-running its cell both pay it once', () => {
    const input = fromGraph(librarySession(), { objective: 'balanced' });
    const index = (name: string) => input.groups.findIndex(g => g.members.includes(name));
    const model = input.costModel;
    const none = estimate(input, [], []);
    expect(none.fixed!.restoreMs - estimate({ ...input, importsMs: undefined }, [], []).fixed!.restoreMs).toBeCloseTo(
      1100,
      2
    );
    const copied = estimate(input, [index('forest'), index('Forest')], []).restoreMs - none.restoreMs;
    const loads = copyRestoreMs(model, 50_000) + copyRestoreMs(model, 0);
    expect(copied).toBeCloseTo(loads, 2);
    // Re-running the import cell costs its work beyond the import only.
    const rerun = estimate(input, [], [1]).restoreMs - none.restoreMs;
    expect(rerun).toBeCloseTo(model.rerunLatencyMs + 0, 2);
  });

  test('an unused import is no fixed work: re-running its cell pays it', () => {
    const graph = librarySession();
    graph.add(record(2, { code: 'del Forest, forest', deletes: ['Forest', 'forest'], groups: [['np']] }));
    const input = fromGraph(graph, { objective: 'balanced' });
    expect(input.executions[1].importMs).toBeUndefined();
    expect(input.importsMs).toBe(100);
  });

  test('the agent-reported packages are validated', () => {
    expect(executionRecordSchema.safeParse(record(0, { packagesLoaded: ['sklearn'] })).success).toBe(true);
    expect(executionRecordSchema.safeParse({ ...record(0), packagesLoaded: 'sklearn' }).success).toBe(false);
    expect(executionRecordSchema.safeParse({ ...record(0), packagesLoaded: [''] }).success).toBe(false);
  });
});

describe('re-running what made objects of libraries', () => {
  /** A 1 ms cell making `made` (of `type`, 30 KB): recomputing it is cheaper than copying by time alone. */
  function cheapCell(type: string): HistoryGraph {
    const graph = new HistoryGraph();
    graph.add(
      record(0, {
        code: 'made = build()',
        writes: ['made'],
        groups: [['made']],
        durationMs: 1,
        variables: { made: { type, size: 30_000, serializable: true } }
      })
    );
    return graph;
  }

  test('plain data is recomputed when that is cheaper', () => {
    const input = fromGraph(cheapCell('builtins.dict'), { objective: 'balanced' });
    expect(input.executions[0].riskMs).toBeUndefined();
    expect(plan(input)).toMatchObject({ feasible: true, copy: [], rerun: [0] });
  });

  test('a model is copied at about the same cost: a re-run may not reproduce it, a copy is checked', () => {
    const input = fromGraph(cheapCell('statsmodels.genmod.generalized_linear_model.GLM'), { objective: 'balanced' });
    expect(input.executions[0].riskMs).toBe(RERUN_RISK_MS);
    const result = plan(input);
    expect(result).toMatchObject({ feasible: true, copy: ['made'], rerun: [] });
    // The risk weighs the decision only: the estimate prices time.
    const rerunEstimate = estimate(input, [], [0]).restoreMs - estimate(input, [], []).restoreMs;
    expect(rerunEstimate).toBeCloseTo(input.costModel.rerunLatencyMs + 1, 2);
  });
});
