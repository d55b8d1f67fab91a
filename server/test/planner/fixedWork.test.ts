/**
 * The fixed work of checkpoints and restores: fingerprinting the whole state, with numpy arrays'
 * memory hashed at memory speed and the rest walked object by object, priced apart.
 */
import { HistoryGraph } from '../../src/ahg/graph';
import { costModel, fixedMs, fromGraph, plan } from '../../src/planner/index';
import { record } from '../companion/records';

const GB = 1e9;
const flat = (latencyMs: number, bytesPerSec: number) => ({
  latencyMs,
  bytesPerSec: [bytesPerSec, bytesPerSec, bytesPerSec] as [number, number, number]
});

describe('fixed work', () => {
  // Walking objects measured at 1 GB/s here, hashing arrays at 15 GB/s.
  const model = costModel('balanced', {
    throughputs: { checkpoint: flat(30, 1 * GB), restore: flat(50, 1 * GB), hash: flat(0, 15 * GB) }
  });

  test("prices arrays' memory at the hash rate and the rest at the fixed work's own", () => {
    const arrays = fixedMs(model, [{ sizeBytes: 2 * GB, arrayBytes: 2 * GB }]);
    expect(arrays.migrateMs).toBeCloseTo(30 + (1000 * 2) / 15, 6);
    expect(arrays.restoreMs).toBeCloseTo(50 + (1000 * 2) / 15, 6);
    const objects = fixedMs(model, [{ sizeBytes: 2 * GB }]);
    expect(objects.migrateMs).toBeCloseTo(30 + 2000, 6);
    const mixed = fixedMs(model, [{ sizeBytes: 1 * GB, arrayBytes: 0.5 * GB }, { sizeBytes: 1 * GB }]);
    expect(mixed.migrateMs).toBeCloseTo(30 + 1500 + 500 / 15, 6);
    // More array bytes than the group holds (a view counted whole) never prices negative work.
    expect(fixedMs(model, [{ sizeBytes: 1 * GB, arrayBytes: 3 * GB }]).migrateMs).toBeCloseTo(30 + 1000 / 15, 6);
  });

  test("a 2 GB array session's estimate: hashing, not walking", () => {
    const graph = new HistoryGraph();
    graph.add(
      record(0, {
        code: 'import numpy as np\nbig = np.ones((16384, 16384))',
        writes: ['big', 'np'],
        groups: [['big'], ['np']],
        durationMs: 2000,
        variables: {
          big: { type: 'numpy.ndarray', size: 2 * GB, serializable: true },
          np: { type: 'builtins.module', size: 0, serializable: true }
        }
      })
    );
    const input = fromGraph(graph, {
      objective: 'balanced',
      measurements: { throughputs: { checkpoint: flat(30, 1 * GB), hash: flat(0, 15 * GB) } }
    });
    expect(input.groups.find(g => g.members[0] === 'big')?.arrayBytes).toBe(2 * GB);
    expect(input.groups.find(g => g.members[0] === 'np')?.arrayBytes).toBeUndefined();
    const result = plan(input);
    if (!result.feasible) {
      throw new Error(result.infeasibility.message);
    }
    expect(result.estimate.fixed?.migrateMs).toBeCloseTo(30 + (1000 * 2) / 15, 0);
  });
});
