/**
 * Migration targets: other Jupyter servers running this extension. The migrate route resolves a
 * request's target through an injected {@link TargetResolver} (the companion's target registry);
 * a target given by URL and token in the request (the CLI's `--to URL --to-token T`) needs none.
 */
import { HttpError } from '../http';
import type { IResolvedTarget } from '../targets/targetRegistry';

/** A Jupyter server to migrate to. Its token never leaves the companion (no response, no log). */
export interface ITarget {
  /** What the user calls it (its URL for a target given by URL). */
  name: string;
  /**
   * How it is reached: another Jupyter server, or `local`, a new kernel on this one ("this
   * machine": no HTTP, no token).
   */
  kind: 'jupyter' | 'local';
  /** Base URL of the Jupyter server, ending with `/` (this one's for `local`). */
  url: string;
  /** Its API token ('' for `local`). */
  token: string;
}

/** Resolve a configured target's name; rejects with a 404 `HttpError` for an unknown name. */
export type TargetResolver = (name: string) => Promise<ITarget>;

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
 * The migrate route's resolver over the target registry: a Jupyter server target as it is; the
 * kinds a migration cannot reach yet refused with a clear 400 (nothing is started).
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
        throw new HttpError(
          400,
          `${name}: migrating to a JupyterHub target is not supported yet (it is listed and probed only)`
        );
    }
  };
}
