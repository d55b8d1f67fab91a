/**
 * The order of a restore (DESIGN.md 2.5): planned executions re-run in their original order, and
 * each copied group loaded right after the last execution that produced it, so that a re-run that
 * also rebinds or changes a copied variable is corrected at once and links stay intact. Groups
 * produced outside the recorded history are loaded first.
 */

/** One step of a restore. */
export type RestoreStep = { kind: 'rerun'; execution: number } | { kind: 'load'; groups: number[] };

/** A copied group as the restore order needs it. */
export interface IGroupToLoad {
  /** Index of the group in the manifest. */
  index: number;
  /** Executions that produced the group's active snapshots (empty when produced outside the history). */
  producedBy: number[];
}

/** The steps that restore the plan: `rerun` execution indices, `copied` groups to load. */
export function restoreSteps(rerun: number[], copied: IGroupToLoad[]): RestoreStep[] {
  const loadsAfter = new Map<number, number[]>();
  for (const group of copied) {
    const position = group.producedBy.length > 0 ? Math.max(...group.producedBy) : -1;
    const list = loadsAfter.get(position) ?? [];
    list.push(group.index);
    loadsAfter.set(position, list);
  }
  const rerunSet = new Set(rerun);
  const positions = [...new Set([...rerunSet, ...loadsAfter.keys()])].sort((a, b) => a - b);
  const steps: RestoreStep[] = [];
  for (const position of positions) {
    if (rerunSet.has(position)) {
      steps.push({ kind: 'rerun', execution: position });
    }
    const groups = loadsAfter.get(position);
    if (groups) {
      steps.push({ kind: 'load', groups: groups.sort((a, b) => a - b) });
    }
  }
  return steps;
}
