/**
 * The top-level packages a kernel's session imported, from its recorded history (each record's
 * `packagesLoaded`): the modules whose versions a target must match for the session to move there.
 */
import type { HistoryStore } from '../ahg/store';

/** The packages the current run of `kernelId` loaded, sorted; none when nothing was recorded. */
export async function sessionModules(store: HistoryStore, kernelId: string): Promise<string[]> {
  const run = await store.currentRun(kernelId);
  const names = new Set<string>();
  for (const execution of run?.graph.executions ?? []) {
    execution.packagesLoaded.forEach(name => names.add(name));
  }
  return [...names].sort();
}
