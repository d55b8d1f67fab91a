import { restoreSteps } from '../../src/migrate/restoreSteps';

describe('restore order', () => {
  test('re-runs ascend; each group loads right after its last producer; external groups first', () => {
    const steps = restoreSteps(
      [4, 1, 2],
      [
        { index: 3, producedBy: [2, 0] },
        { index: 0, producedBy: [] },
        { index: 5, producedBy: [4] },
        { index: 1, producedBy: [7] },
        { index: 2, producedBy: [2] }
      ]
    );
    expect(steps).toEqual([
      { kind: 'load', groups: [0] },
      { kind: 'rerun', execution: 1 },
      { kind: 'rerun', execution: 2 },
      { kind: 'load', groups: [2, 3] },
      { kind: 'rerun', execution: 4 },
      { kind: 'load', groups: [5] },
      { kind: 'load', groups: [1] }
    ]);
  });

  test('a group whose producer is also re-run is loaded after that re-run (the load corrects it)', () => {
    expect(restoreSteps([0, 1], [{ index: 0, producedBy: [1] }])).toEqual([
      { kind: 'rerun', execution: 0 },
      { kind: 'rerun', execution: 1 },
      { kind: 'load', groups: [0] }
    ]);
  });

  test('a group a re-run reads is loaded before that re-run, and again after its last producer', () => {
    // grid (made by 1) and centre_line (made by 3 from grid) are one copied group; 3 is re-run.
    expect(restoreSteps([2, 3], [{ index: 0, producedBy: [1, 3], readBy: [3] }])).toEqual([
      { kind: 'rerun', execution: 2 },
      { kind: 'load', groups: [0] },
      { kind: 'rerun', execution: 3 },
      { kind: 'load', groups: [0] }
    ]);
  });

  test('readers after the last producer, or not re-run, need no extra load', () => {
    expect(restoreSteps([4], [{ index: 0, producedBy: [1], readBy: [4] }])).toEqual([
      { kind: 'load', groups: [0] },
      { kind: 'rerun', execution: 4 }
    ]);
    expect(restoreSteps([2], [{ index: 0, producedBy: [3], readBy: [1] }])).toEqual([
      { kind: 'rerun', execution: 2 },
      { kind: 'load', groups: [0] }
    ]);
  });

  test('nothing to do gives no steps', () => {
    expect(restoreSteps([], [])).toEqual([]);
  });
});
