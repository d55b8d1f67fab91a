/** The questions the Checkpoints section asks before it restores or deletes. */
import { Dialog, InputDialog, showDialog } from '@jupyterlab/apputils';

/** Ask before restoring `what` into the kernel of `notebook` (the kernel restarts). */
export async function confirmRestore(what: string, notebook: string): Promise<boolean> {
  const result = await showDialog({
    title: 'Restore checkpoint?',
    body:
      `Restore ${what} into the kernel of ${notebook}? The kernel restarts: the variables it holds now ` +
      'are replaced by the checkpointed session.',
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Restore' })]
  });
  return result.button.accept;
}

/**
 * Ask before restoring a bundle from outside the checkpoint root (bundles contain pickles, and
 * loading a pickle runs code); `reason` is the server's explanation.
 */
export async function confirmTrust(uri: string, reason: string): Promise<boolean> {
  const result = await showDialog({
    title: 'Restore from outside the checkpoint folder?',
    body:
      `${uri} is not in the checkpoint folder. Checkpoints contain pickles, and loading a pickle can run ` +
      `any code: restore it only if you or someone you trust wrote it. (${reason})`,
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
