/** The questions the Checkpoints section asks before it restores or deletes. */
import { Dialog, InputDialog, showDialog } from '@jupyterlab/apputils';

/** Where the checkpoint asked about comes from, next to the notebook it would be restored into. */
export interface IRestoreSource {
  /** Whether it was made from the notebook it would be restored into. */
  same: boolean;
  /** The file name of the notebook it was made from; null when the checkpoint does not say. */
  notebook: string | null;
}

/**
 * Ask before restoring `what` into the kernel of the notebook `target` (the kernel restarts). A
 * checkpoint of another notebook (or of one it does not name) is asked about as such, naming both.
 */
export async function confirmRestore(what: string, target: string, source: IRestoreSource): Promise<boolean> {
  const restarts = 'The kernel restarts: the variables it holds now are replaced by the checkpointed session.';
  if (source.same) {
    const result = await showDialog({
      title: 'Restore checkpoint?',
      body: `Restore ${what} into the kernel of ${target}? ${restarts}`,
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Restore' })]
    });
    return result.button.accept;
  }
  const subject = what.charAt(0).toUpperCase() + what.slice(1);
  const origin = source.notebook
    ? `${subject} was made from ${source.notebook}, not from ${target}.`
    : `${subject} does not say which notebook it was made from: it may not be ${target}'s.`;
  const result = await showDialog({
    title: source.notebook
      ? 'Restore a checkpoint of another notebook?'
      : 'Restore a checkpoint of an unknown notebook?',
    body:
      `${origin} Its variables come from cells that ${target} may not have, and the panel will show ` +
      `that notebook's executions. ${restarts}`,
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: `Restore into ${target}` })]
  });
  return result.button.accept;
}

/**
 * Ask before restoring a bundle from outside the checkpoint folder: a bundle holds pickles, and
 * loading a pickle runs code. The question is ours, in plain words (the server's refusal is
 * written for API clients).
 */
export async function confirmTrust(uri: string): Promise<boolean> {
  const result = await showDialog({
    title: 'Restore from outside the checkpoint folder?',
    body:
      `${uri} is not in the checkpoint folder. A checkpoint holds pickled Python objects, and loading them ` +
      'can run any code on this computer. Restore it only if you, or someone you trust, made it.',
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Restore anyway' })]
  });
  return result.button.accept;
}

/** Ask before deleting `what`. */
export async function confirmDelete(what: string): Promise<boolean> {
  const result = await showDialog({
    title: 'Delete checkpoint?',
    body: `Delete ${what}? Its files are removed; this cannot be undone.`,
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })]
  });
  return result.button.accept;
}

/** Ask for a checkpoint's location (a folder path or an s3:// URI); null when cancelled. */
export async function askLocation(): Promise<string | null> {
  const result = await InputDialog.getText({
    title: 'Restore from a location',
    label: 'Checkpoint folder or s3://bucket/prefix',
    placeholder: '/path/to/checkpoint or s3://bucket/prefix',
    okLabel: 'Next'
  });
  const value = result.value?.trim();
  return result.button.accept && value ? value : null;
}
