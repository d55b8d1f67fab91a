/**
 * The order of a restore (docs/method.md section 5): planned executions re-run in their original order, and
 * each copied group loaded right after the last execution that produced it, so that a re-run that
 * also rebinds or changes a copied variable is corrected at once and links stay intact. Groups
 * produced outside the recorded history are loaded first.
 *
 * A re-run may also read a copied group (the plan counts on the copy being there): the group is
 * then loaded before the first such re-run as well, when that comes before its last producer
 * (`centre_line = grid[n // 2]` re-run while `grid` and `centre_line`, one group, are copied:
 * `grid` must be there for the re-run, and the load after it keeps the pair as checkpointed).
 */

/** One step of a restore. */
export type RestoreStep = { kind: 'rerun'; execution: number } | { kind: 'load'; groups: number[] };

/** A copied group as the restore order needs it. */
export interface IGroupToLoad {
  /** Index of the group in the manifest. */
  index: number;
  /** Executions that produced the group's active snapshots (empty when produced outside the history). */
  producedBy: number[];
  /** Executions that read the group's active snapshots (only re-run ones matter). */
  readBy?: number[];
}

/** The steps that restore the plan: `rerun` execution indices, `copied` groups to load. */
export function restoreSteps(rerun: number[], copied: IGroupToLoad[]): RestoreStep[] {
  const rerunSet = new Set(rerun);
  // Loads happen at positions: after execution p is p + 0.5 (-0.5: before everything).
  const loadsAt = new Map<number, number[]>();
  const loadAt = (position: number, index: number) => {
    const list = loadsAt.get(position) ?? [];
    list.push(index);
    loadsAt.set(position, list);
  };
  for (const group of copied) {
    const lastProducer = group.producedBy.length > 0 ? Math.max(...group.producedBy) : -1;
    const readers = (group.readBy ?? []).filter(e => rerunSet.has(e));
    const firstReader = readers.length > 0 ? Math.min(...readers) : Infinity;
    if (firstReader <= lastProducer) {
      loadAt(firstReader - 0.5, group.index);
    }
    loadAt(lastProducer + 0.5, group.index);
  }
  const positions = [...new Set([...rerunSet, ...loadsAt.keys()])].sort((a, b) => a - b);
  const steps: RestoreStep[] = [];
  for (const position of positions) {
    if (rerunSet.has(position)) {
      steps.push({ kind: 'rerun', execution: position });
    }
    const groups = loadsAt.get(position);
    if (groups) {
      steps.push({ kind: 'load', groups: groups.sort((a, b) => a - b) });
    }
  }
  return steps;
}
