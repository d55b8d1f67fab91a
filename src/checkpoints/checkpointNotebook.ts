/**
 * Which notebook a checkpoint belongs to. A bundle's manifest records the checkpointed notebook's
 * absolute path (the companion resolves it against the Jupyter root); JupyterLab knows notebooks
 * by their path relative to that root.
 */
import { PageConfig, PathExt } from '@jupyterlab/coreutils';
import type { CheckpointEntry } from '@elastic-notebook/protocol';
import { isReadable } from './checkpoints';

/** The Jupyter root as the page knows it, when it is an absolute path (it may start with `~`). */
export function serverRoot(): string | null {
  const root = PageConfig.getOption('serverRoot').replace(/\/+$/, '');
  return root.startsWith('/') || /^[A-Za-z]:\//.test(root) ? root : null;
}

/**
 * Where the notebook of `recorded` (a manifest's absolute path) is: relative to `root` when it is
 * under it, as recorded otherwise; null when the checkpoint does not say.
 */
export function notebookLocation(recorded: string | null, root: string | null): string | null {
  if (!recorded) {
    return null;
  }
  const path = recorded.replace(/\\/g, '/');
  return root && path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path;
}

/**
 * Whether a checkpoint whose manifest records `recorded` was made from the notebook at `current`
 * (relative to the Jupyter root). With a known root the paths must match exactly; without one
 * (a root given as `~/...`), the recorded path must end with the notebook's.
 */
export function isOfNotebook(recorded: string | null, current: string, root: string | null): boolean {
  if (!recorded) {
    return false;
  }
  const path = recorded.replace(/\\/g, '/');
  if (root) {
    return path === `${root}/${current}`;
  }
  return path === current || path.endsWith(`/${current}`);
}

/** A listing split for the Checkpoints section. */
export interface ISplitEntries {
  /** This notebook's checkpoints, newest first. */
  own: CheckpointEntry[];
  /** The other notebooks' checkpoints (and those that name none), newest first. */
  others: CheckpointEntry[];
  /** Bundles that cannot be read (their notebook is unknown). */
  unreadable: CheckpointEntry[];
}

/** Split a listing (already newest first) by notebook, for the notebook at `current`. */
export function splitEntries(entries: CheckpointEntry[], current: string | null, root: string | null): ISplitEntries {
  const split: ISplitEntries = { own: [], others: [], unreadable: [] };
  for (const entry of entries) {
    if (!isReadable(entry)) {
      split.unreadable.push(entry);
    } else if (current !== null && isOfNotebook(entry.notebookPath, current, root)) {
      split.own.push(entry);
    } else {
      split.others.push(entry);
    }
  }
  return split;
}

/** A notebook's name for a sentence: its file name, or a phrase when unknown. */
export function notebookName(path: string | null): string {
  return path ? PathExt.basename(path) : 'an unknown notebook';
}
