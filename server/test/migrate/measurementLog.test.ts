import { restoreObservations } from '../../src/migrate/measurementLog';

describe('restore observations', () => {
  test('first imports during a load are not counted as deserializing', () => {
    const timings = { totalMs: 2000, fetchMs: 5, rerunMs: 0, loadMs: 1200, importMs: 1000, verifyMs: 10, attempts: 1 };
    const observations = restoreObservations({ bytes: { fetched: 200e6, loaded: 200e6 }, timings });
    expect(observations).toEqual([
      { kind: 'read', bytes: 200e6, ms: 5 },
      { kind: 'deserialize', bytes: 200e6, ms: 200 }
    ]);
  });

  test('import time above the load time (clock skew between calls) never gives a negative time', () => {
    const timings = { totalMs: 10, fetchMs: 1, rerunMs: 0, loadMs: 3, importMs: 4, verifyMs: 1, attempts: 1 };
    const [, deserialize] = restoreObservations({ bytes: { fetched: 0, loaded: 5e6 }, timings });
    expect(deserialize.ms).toBe(0);
  });
});
