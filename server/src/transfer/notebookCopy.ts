/**
 * Copying the notebook file to a migration's target through its contents API, at the same path
 * relative to its root. A different file already there is never replaced unless the caller says
 * so (`overwrite`): the user is asked first (the CLI: `--overwrite`).
 */
import { MigrationError } from '../migrate/migrationError';
import { TargetClient } from './targetClient';

/** What is at the notebook's path on the target, compared with this notebook. */
export type NotebookOnTarget = 'absent' | 'same' | 'different';

/** The contents-API URL of `relative` (each segment escaped). */
function contentsPath(relative: string): string {
  return `api/contents/${relative.split('/').map(encodeURIComponent).join('/')}`;
}

/** Whether the target has a file at `relative`, and whether it is this notebook's text. */
export async function notebookOnTarget(
  client: TargetClient,
  relative: string,
  text: string,
  signal?: AbortSignal
): Promise<NotebookOnTarget> {
  const response = await client.call(`${contentsPath(relative)}?type=file&format=text&content=1`, {
    signal,
    accept: [404]
  });
  if (response.status === 404) {
    await response.arrayBuffer();
    return 'absent';
  }
  const model = (await response.json().catch(() => null)) as { content?: unknown } | null;
  return model?.content === text ? 'same' : 'different';
}

/** The message of a refused overwrite (the UI asks the user, the CLI names `--overwrite`). */
export function notebookExistsMessage(relative: string, target: string): string {
  return (
    `${relative} already exists on ${target} and differs from this notebook; nothing was migrated. ` +
    'Confirm replacing it (CLI: --overwrite) to migrate anyway'
  );
}

/** Write `text` to `relative` on the target, creating the folders above it. */
export async function copyNotebook(
  client: TargetClient,
  relative: string,
  text: string,
  signal?: AbortSignal
): Promise<void> {
  const segments = relative.split('/');
  for (let depth = 1; depth < segments.length; depth++) {
    const folder = segments.slice(0, depth).join('/');
    const probe = await client.call(`${contentsPath(folder)}?content=0`, { signal, accept: [404] });
    await probe.arrayBuffer();
    if (probe.status === 404) {
      await (
        await client.call(contentsPath(folder), { method: 'PUT', json: { type: 'directory' }, signal })
      ).arrayBuffer();
    }
  }
  await (
    await client.call(contentsPath(relative), {
      method: 'PUT',
      json: { type: 'file', format: 'text', content: text },
      signal
    })
  ).arrayBuffer();
}

/** Remove a notebook this migration copied (after a failure), saying so when it cannot. */
export async function removeNotebook(client: TargetClient, relative: string): Promise<void> {
  try {
    await (await client.call(contentsPath(relative), { method: 'DELETE', accept: [404] })).arrayBuffer();
  } catch (err) {
    throw new MigrationError(`could not remove the copied notebook ${relative} from ${client.label}: ${String(err)}`);
  }
}
