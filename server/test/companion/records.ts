import { IExecutionRecord } from '../../src/ahg/types';

/** A valid execution record with sensible defaults, for tests. */
export function record(seq: number, fields: Partial<IExecutionRecord> = {}): IExecutionRecord {
  return {
    seq,
    cellIndex: seq,
    cellId: null,
    executionCount: seq + 1,
    code: `# cell ${seq}\n`,
    startedAtMs: 1_700_000_000_000 + seq,
    durationMs: 1,
    error: null,
    reads: [],
    writes: [],
    deletes: [],
    groups: [],
    ...fields
  };
}

/** Records for a sequence of (reads, writes, deletes, groups) steps. */
export function records(steps: Array<[string[], string[], string[]?, string[][]?]>): IExecutionRecord[] {
  const live = new Set<string>();
  return steps.map(([reads, writes, deletes = [], groups], seq) => {
    writes.forEach(w => live.add(w));
    deletes.forEach(d => live.delete(d));
    return record(seq, { reads, writes, deletes, groups: groups ?? [...live].sort().map(n => [n]) });
  });
}
