import { ICellExecution, IExecutionRecord, IGraphJSON, IRequirement, IVariableSnapshot } from './types';

/**
 * The Application History Graph of one kernel run: a bipartite DAG of cell executions and
 * variable snapshots, built incrementally from the agent's records in execution order.
 *
 * Appending a record costs time proportional to the size of that record (plus the group list);
 * queries such as `requiredExecutions` are computed fresh on every call, so a later record can
 * never leave a stale answer behind.
 */
export class HistoryGraph {
  /** Cell executions in order; `executions[i].index === i`. */
  readonly executions: ICellExecution[] = [];
  /** Every snapshot ever created; `snapshots[i].id === i`. */
  readonly snapshots: IVariableSnapshot[] = [];
  private readonly latest = new Map<string, number>();
  private readonly live = new Set<string>();
  private currentGroups: string[][] = [];

  /** Number of recorded executions, which is also the next expected record `seq`. */
  get size(): number {
    return this.executions.length;
  }

  /** The linked groups among active variables, from the latest record. */
  get groups(): string[][] {
    return this.currentGroups;
  }

  /** Append the next execution record (its `seq` must equal `size`). */
  add(record: IExecutionRecord): ICellExecution {
    if (record.seq !== this.executions.length) {
      throw new Error(`record seq ${record.seq} out of order: expected ${this.executions.length}`);
    }
    const index = this.executions.length;
    // Reads see the versions that existed before this execution. A read of a name the graph
    // thinks is gone means an unrecorded execution (re)created it: its value has no producer.
    // A variable changed in place is also an input: its new value is made from the old one, so
    // recomputing it needs the old version first (with that version's producer).
    const used = [...new Set([...record.reads, ...(record.modified ?? []).filter(name => this.live.has(name))])];
    const inputs = used.map(name => (this.live.has(name) ? (this.latest.get(name) as number) : this.external(name)));
    const outputs: number[] = [];
    for (const name of record.writes) {
      const id = this.createSnapshot(name, index, record.variables?.[name] ?? null);
      outputs.push(id);
      this.live.add(name);
    }
    for (const name of record.deletes) {
      if (!record.writes.includes(name)) {
        this.live.delete(name);
      }
    }
    const execution: ICellExecution = {
      index,
      cellIndex: record.cellIndex ?? null,
      cellId: record.cellId ?? null,
      executionCount: record.executionCount ?? null,
      code: record.code,
      startedAtMs: record.startedAtMs,
      durationMs: record.durationMs,
      error: record.error,
      reads: [...record.reads],
      writes: [...record.writes],
      deletes: [...record.deletes],
      needsFullCheck: [...(record.needsFullCheck ?? [])],
      nondeterministic: record.nondeterministic === true,
      modulesLoaded: record.modulesLoaded ?? 0,
      packagesLoaded: [...(record.packagesLoaded ?? [])],
      inputs,
      outputs,
      agentMs: record.agentMs ?? null
    };
    this.executions.push(execution);
    this.syncLive(record.groups);
    return execution;
  }

  /** Whether a snapshot is the latest version of a live variable. */
  isActive(snapshotId: number): boolean {
    const snapshot = this.snapshots[snapshotId];
    return this.live.has(snapshot.name) && this.latest.get(snapshot.name) === snapshotId;
  }

  /** The active snapshots, one per live variable, in name order. */
  activeSnapshots(): IVariableSnapshot[] {
    return [...this.live].sort().map(name => this.snapshots[this.latest.get(name) as number]);
  }

  /** The active snapshot of a variable, if the variable is live. */
  activeSnapshot(name: string): IVariableSnapshot | undefined {
    return this.live.has(name) ? this.snapshots[this.latest.get(name) as number] : undefined;
  }

  /**
   * `req(v)` of docs/method.md section 2 for a set of snapshots (one snapshot, or a linked group's members):
   * their producing executions plus, recursively, the producers of every non-active snapshot those
   * executions read, in original order.
   */
  requiredExecutions(snapshotIds: Iterable<number>): IRequirement {
    const needed = new Set<number>();
    const unresolved = new Set<number>();
    const stack: number[] = [];
    const need = (snapshotId: number) => {
      const producer = this.snapshots[snapshotId].producedBy;
      if (producer === null) {
        unresolved.add(snapshotId);
      } else if (!needed.has(producer)) {
        needed.add(producer);
        stack.push(producer);
      }
    };
    for (const id of snapshotIds) {
      need(id);
    }
    while (stack.length > 0) {
      const execution = this.executions[stack.pop() as number];
      for (const input of execution.inputs) {
        if (!this.isActive(input)) {
          need(input);
        }
      }
    }
    return {
      executions: [...needed].sort((a, b) => a - b),
      unresolved: [...unresolved].sort((a, b) => a - b)
    };
  }

  /** `req` of a linked group of active variables, given by name. */
  requiredForGroup(names: string[]): IRequirement {
    const ids = names.map(name => {
      const snapshot = this.activeSnapshot(name);
      if (!snapshot) {
        throw new Error(`${name} is not an active variable`);
      }
      return snapshot.id;
    });
    return this.requiredExecutions(ids);
  }

  /** The JSON form of docs/internals.md section 6. */
  toJSON(kernelId: string, runId: string): IGraphJSON {
    const ref = (id: number) => ({ name: this.snapshots[id].name, version: this.snapshots[id].version });
    return {
      kernelId,
      runId,
      executions: this.executions.map(({ inputs, outputs: _outputs, ...rest }) => ({
        ...rest,
        inputs: inputs.map(ref)
      })),
      variables: this.snapshots.map(s => ({
        name: s.name,
        version: s.version,
        producedBy: s.producedBy,
        active: this.isActive(s.id),
        info: s.info
      })),
      groups: this.currentGroups.map(g => [...g])
    };
  }

  private createSnapshot(name: string, producedBy: number | null, info: IVariableSnapshot['info']): number {
    const previous = this.latest.get(name);
    const id = this.snapshots.length;
    this.snapshots.push({
      id,
      name,
      version: previous === undefined ? 0 : this.snapshots[previous].version + 1,
      producedBy,
      info
    });
    this.latest.set(name, id);
    return id;
  }

  /** A live snapshot for a value that appeared outside the recorded history. */
  private external(name: string): number {
    this.live.add(name);
    return this.createSnapshot(name, null, null);
  }

  /**
   * The agent's groups list every live user variable. Variables it lists that the records never
   * produced came from unrecorded executions; variables it no longer lists were removed by one.
   */
  private syncLive(groups: string[][]): void {
    const listed = new Set<string>();
    for (const group of groups) {
      for (const name of group) {
        listed.add(name);
        if (!this.live.has(name)) {
          this.external(name);
        }
      }
    }
    for (const name of [...this.live]) {
      if (!listed.has(name)) {
        this.live.delete(name);
      }
    }
    this.currentGroups = groups.map(g => [...g].sort()).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  }
}
