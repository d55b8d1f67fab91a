/**
 * The first step of a migration to a JupyterHub target: start the user's named server through the
 * Hub (or find it running), then migrate to it as to any Jupyter server. Nothing is left behind:
 * when this migration started the server and then fails or is cancelled, the server is stopped
 * again; a server that was running before is never stopped.
 */
import { errorMessage } from '../bundle/errors';
import { MigrationError } from '../migrate/migrationError';
import { HUB_START_TIMEOUT_MS, HubServer, IHubTarget } from '../transfer/hubServer';
import type { ITarget } from '../transfer/targets';
import type { IJobContext } from './job';

/** How long a spawn may take: `ELASTIC_NOTEBOOK_HUB_START_TIMEOUT` seconds, else the default. */
function startTimeoutMs(): number {
  const seconds = Number(process.env.ELASTIC_NOTEBOOK_HUB_START_TIMEOUT);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : HUB_START_TIMEOUT_MS;
}

/**
 * Start `target`'s server (the job's step `starting <server> on <hub>`, then the Hub's progress
 * messages), run `migrate` to it, and stop the server when this call started it and the migration
 * fails or is cancelled. A failure to start rejects with a {@link MigrationError} naming the Hub,
 * user, server and the Hub's reason; `migrate`'s own failures pass through unchanged.
 */
export async function migrateThroughHub<T>(
  target: IHubTarget,
  context: IJobContext,
  migrate: (server: ITarget) => Promise<T>,
  timeoutMs = startTimeoutMs()
): Promise<T> {
  const hub = new HubServer(target, {
    timeoutMs,
    onProgress: message => context.step(`the Hub: ${message}`)
  });
  context.step(`starting ${hub.label}`);
  let server: ITarget;
  try {
    server = await hub.start(context.signal);
  } catch (err) {
    await stopIfStartedHere(hub, context);
    if (context.signal.aborted) {
      throw new MigrationError(`migration to ${target.name} cancelled; this session is untouched`);
    }
    throw new MigrationError(`migration to ${target.name} failed: ${errorMessage(err)} (this session is untouched)`);
  }
  context.step(`${hub.startedHere ? 'started' : 'using the running'} server at ${server.url}`);
  try {
    return await migrate(server);
  } catch (err) {
    await stopIfStartedHere(hub, context);
    throw err;
  }
}

/** Stop the server when this migration started it (a failure to stop is a step, not the error). */
async function stopIfStartedHere(hub: HubServer, context: IJobContext): Promise<void> {
  if (!hub.startedHere) {
    return;
  }
  context.step(`stopping ${hub.label} (this migration started it)`);
  try {
    await hub.stop();
  } catch (err) {
    context.step(`stopping ${hub.label} failed: ${errorMessage(err)}`);
  }
}
