/**
 * Which modules each live variable of a session needs, from its recorded history: a variable
 * needs the module its value's type (or, for a class or function, its defining module) comes
 * from, and every module that the executions it was computed from import in their code, or that
 * the values they read need, transitively. A migration needs these modules on the target: loading
 * a copy imports them, recomputing re-runs the cells that do. Modules a library loaded on its own
 * (optional dependencies, say) are not counted: a target may well do without them.
 */
import type { HistoryGraph } from '../ahg/graph';
import type { IVariableInfo } from '../ahg/types';

/** Top-level module names Python accepts (what the target's machine route answers about). */
const MODULE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Modules every Python has that a value's type may name: never asked about. */
const ALWAYS_THERE = new Set(['builtins', '__main__']);

/** The top-level module of a dotted name, or null when it is not one a target can be asked about. */
function topLevel(dotted: string | undefined): string | null {
  const top = dotted?.split('.')[0];
  return top && MODULE_NAME.test(top) && !ALWAYS_THERE.has(top) ? top : null;
}

/** Top-level modules an import statement of `code` names (`import a.b, c as d`, `from e.f import g`). */
export function directImports(code: string): string[] {
  const found = new Set<string>();
  for (const match of code.matchAll(/^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import\b|import[ \t]+([^#\n;]+))/gm)) {
    const names = match[1] !== undefined ? [match[1]] : match[2].split(',').map(part => part.trim().split(/\s+/)[0]);
    for (const name of names) {
      const top = topLevel(name);
      if (top) {
        found.add(top);
      }
    }
  }
  return [...found];
}

/** The modules a recorded value's description names: its type's, and its definition's. */
export function infoModules(info: IVariableInfo | null): string[] {
  if (!info) {
    return [];
  }
  const typeModule = info.type?.includes('.') ? topLevel(info.type.slice(0, info.type.lastIndexOf('.'))) : null;
  return [...new Set([typeModule, topLevel(info.definedIn)].filter((m): m is string => m !== null))];
}

/**
 * For each module some live variable needs, the names of those variables (sorted); modules in
 * first-use order. A variable that existed before recording began is known only by its type.
 */
export function variablesByModule(graph: HistoryGraph): Map<string, string[]> {
  // The modules each snapshot was made with, propagated in execution order.
  const needs = new Map<number, Set<string>>();
  for (const execution of graph.executions) {
    const used = new Set(directImports(execution.code));
    for (const input of execution.inputs) {
      (needs.get(input) ?? infoModules(graph.snapshots[input].info)).forEach(m => used.add(m));
    }
    for (const output of execution.outputs) {
      needs.set(output, new Set([...used, ...infoModules(graph.snapshots[output].info)]));
    }
  }
  const byModule = new Map<string, string[]>();
  for (const snapshot of graph.activeSnapshots()) {
    for (const module of needs.get(snapshot.id) ?? infoModules(snapshot.info)) {
      byModule.set(module, [...(byModule.get(module) ?? []), snapshot.name]);
    }
  }
  for (const names of byModule.values()) {
    names.sort();
  }
  return byModule;
}
