/**
 * Migration targets: other Jupyter servers running this extension, and JupyterHub users' named
 * servers (started by the migration, see hubServer.ts). The migrate route resolves a request's
 * target through an injected {@link TargetResolver} (the companion's target registry); a target
 * given by URL and token in the request (the CLI's `--to URL --to-token T`) needs none.
 */
import type { IResolvedTarget } from '../targets/targetRegistry';
import type { IHubTarget } from './hubServer';

/** A Jupyter server to migrate to. Its token never leaves the companion (no response, no log). */
export interface ITarget {
  /** What the user calls it (its URL for a target given by URL). */
  name: string;
  /**
   * How it is reached: another Jupyter server (a Hub target is an {@link IHubTarget} until started), or `local`, a new kernel on this one ("this
   * machine": no HTTP, no token).
   */
  kind: 'jupyter' | 'local';
  /** Base URL of the Jupyter server, ending with `/` (this one's for `local`). */
  url: string;
  /** Its API token ('' for `local`). */
  token: string;
}

/** What a migration is asked to reach: a Jupyter server, or a Hub user's server to start first. */
export type MigrationTarget = ITarget | IHubTarget;

/** Resolve a configured target's name; rejects with a 404 `HttpError` for an unknown name. */
export type TargetResolver = (name: string) => Promise<MigrationTarget>;

/** `url` with a trailing `/` and without query, fragment or credentials. */
export function baseUrlOf(url: string): string {
  const parsed = new URL(url);
  parsed.search = '';
  parsed.hash = '';
  parsed.username = '';
  parsed.password = '';
  return parsed.href.endsWith('/') ? parsed.href : `${parsed.href}/`;
}

/** `<url>lab/tree/<notebookPath>`: where the notebook opens on a Jupyter server (never a token). */
export function notebookUrlOn(url: string, notebookPath: string): string {
  return new URL(`lab/tree/${notebookPath.split('/').map(encodeURIComponent).join('/')}`, url).href;
}

/** A target given by URL and token in a request. */
export function targetFromUrl(url: string, token: string): ITarget {
  const base = baseUrlOf(url);
  return { name: base.replace(/\/$/, ''), kind: 'jupyter', url: base, token };
}

/**
 * The migrate route's resolver over the target registry: a Jupyter server target as it is, a Hub
 * target as it is (its server is started by the job, not here); this machine is refused with a
 * clear 400 (nothing is started).
 */
export function registryResolver(resolve: (name: string) => Promise<IResolvedTarget>): TargetResolver {
  return async name => {
    const target = await resolve(name);
    switch (target.kind) {
      case 'jupyter':
        return { name: target.name, kind: 'jupyter', url: baseUrlOf(target.url), token: target.token };
      case 'local':
        return { name: target.name, kind: 'local', url: target.url ? baseUrlOf(target.url) : '', token: '' };
      case 'jupyterhub':
        return {
          name: target.name,
          kind: 'jupyterhub',
          url: baseUrlOf(target.url),
          token: target.token,
          hub: target.hub!
        };
    }
  };
}
