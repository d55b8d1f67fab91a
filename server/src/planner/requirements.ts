/**
 * `req(g)` over the planner input: the producers of a group's members plus, transitively, the
 * `depends` of every execution reached (the producers of the non-active snapshots it read).
 * This is exactly docs/method.md section 2's definition, computed fresh from the input on each call.
 */
import type { IPlannerInput } from './types';

/**
 * Walks requirement closures without allocating per walk: a stamp array marks the executions
 * seen by the current walk, so many walks cost only what they visit.
 */
export class RequirementWalker {
  private readonly stamps: Int32Array;
  private readonly stack: Int32Array;
  private stamp = 0;

  constructor(private readonly input: IPlannerInput) {
    this.stamps = new Int32Array(input.executions.length);
    this.stack = new Int32Array(input.executions.length);
  }

  /**
   * Visit every execution in the closure of `starts` once, skipping (and not entering) those for
   * which `stop` is true. Visits happen in no particular order.
   */
  walk(starts: Iterable<number>, visit: (execution: number) => void, stop?: (execution: number) => boolean): void {
    const { stamps, stack } = this;
    const executions = this.input.executions;
    const stamp = this.nextStamp();
    let top = 0;
    for (const start of starts) {
      if (stamps[start] !== stamp && !(stop && stop(start))) {
        stamps[start] = stamp;
        stack[top++] = start;
      }
    }
    while (top > 0) {
      const e = stack[--top];
      visit(e);
      const depends = executions[e].depends;
      for (let i = 0; i < depends.length; i++) {
        const d = depends[i];
        if (stamps[d] !== stamp && !(stop && stop(d))) {
          stamps[d] = stamp;
          stack[top++] = d;
        }
      }
    }
  }

  /** Walk the closure of the producers of several groups at once (see `walk`). */
  walkGroups(
    groups: Iterable<number>,
    visit: (execution: number) => void,
    stop?: (execution: number) => boolean
  ): void {
    const all = this.input.groups;
    function* producers(): Iterable<number> {
      for (const g of groups) {
        yield* all[g].producers;
      }
    }
    this.walk(producers(), visit, stop);
  }

  /** `req(g)` of one group, ascending. */
  required(group: number): number[] {
    const result: number[] = [];
    this.walk(this.input.groups[group].producers, e => result.push(e));
    return result.sort((a, b) => a - b);
  }

  private nextStamp(): number {
    if (this.stamp === 0x7fffffff) {
      this.stamps.fill(0);
      this.stamp = 0;
    }
    return ++this.stamp;
  }
}
