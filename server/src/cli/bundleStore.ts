import { isBundleError } from '../bundle/errors';
import { IBundleStore, openStore } from '../storage/index';
import { CliError } from './cliError';
import { ICommandContext } from './notebookSession';

/**
 * The store for a bundle URI given on the command line (a folder path or s3://bucket/prefix),
 * closed by the cleanup stack when the command ends.
 */
export async function openBundleStore(
  uri: string,
  { cleanup }: Pick<ICommandContext, 'cleanup'>
): Promise<IBundleStore> {
  let store: IBundleStore;
  try {
    store = openStore(uri);
  } catch (err) {
    throw isBundleError(err) ? new CliError(err.message) : err;
  }
  cleanup.add('closing the bundle store', () => store.close());
  return store;
}
