/**
 * Every target the companion knows: this machine first, then the configured ones
 * (`c.ElasticNotebookApp.targets`), the user's `targets.json` and the panel's, read afresh on
 * every use so that an edited file applies at once. Tokens stay here: {@link resolve} is for the
 * companion's own use (a migration), never for an answer.
 */
import type { AddTargetRequest, TargetKind, TargetOrigin } from '@elastic-notebook/protocol';
import type { HubTargetConfig, TargetConfig } from '@elastic-notebook/protocol/schemas';
import { HttpError } from '../http';
import { IInvalidTarget, ITargetDefinition, readTargetFile, TARGET_FILES, writePanelTargets } from './targetFiles';

/** The name of the built-in target: a new kernel on this machine. */
export const THIS_MACHINE = 'this machine';

/** A target as a migration needs it (server side only: it holds the token). */
export interface IResolvedTarget {
  name: string;
  kind: TargetKind;
  /** The Jupyter server's URL (ending with `/`); for a Hub target, the Hub's. */
  url: string;
  /** Its API token (the Hub API token for a Hub target; '' for this machine). */
  token: string;
  /** For a Hub target: whose named server, and how to start it. */
  hub?: { user: string; server: string; profile?: string; userOptions?: Record<string, unknown> };
}

/** One known target: this machine, or a well-formed definition. */
export interface IKnownTarget {
  origin: TargetOrigin;
  resolved: IResolvedTarget;
}

/** What the registry knows: the targets in listing order, and the malformed definitions. */
export interface ITargetSnapshot {
  targets: IKnownTarget[];
  invalid: IInvalidTarget[];
}

/** The URL with a trailing slash, so that routes join under its base path. */
export const withSlash = (url: string) => (url.endsWith('/') ? url : `${url}/`);

/** A definition as a migration uses it. */
function resolvedOf(config: TargetConfig): IResolvedTarget {
  if (config.kind === 'jupyterhub') {
    const hub = config as HubTargetConfig;
    return {
      name: hub.name,
      kind: 'jupyterhub',
      url: withSlash(hub.hubUrl),
      token: hub.apiToken,
      hub: { user: hub.user, server: hub.server ?? '', profile: hub.profile, userOptions: hub.userOptions }
    };
  }
  return { name: config.name, kind: 'jupyter', url: withSlash(config.url), token: config.token };
}

/** What a registry is built from. */
export interface ITargetRegistryOptions {
  /** The companion's data folder, holding the target files. */
  dataDir: string;
  /** This Jupyter server's URL, when known (the built-in target's). */
  localUrl?: string;
  /** Where warnings about malformed definitions go (each once). */
  warn?: (message: string) => void;
}

/** The targets of one companion. */
export class TargetRegistry {
  private readonly warned = new Set<string>();
  private panelWrites: Promise<void> = Promise.resolve();

  constructor(private readonly options: ITargetRegistryOptions) {}

  /** Every target, this machine first, and the definitions that are malformed or clash. */
  async snapshot(): Promise<ITargetSnapshot> {
    const files = await Promise.all(
      TARGET_FILES.map(({ origin, file }) => readTargetFile(this.options.dataDir, file, origin))
    );
    const targets: IKnownTarget[] = [
      {
        origin: 'config',
        resolved: { name: THIS_MACHINE, kind: 'local', url: this.options.localUrl ?? '', token: '' }
      }
    ];
    const invalid: IInvalidTarget[] = [];
    const taken = new Map<string, TargetOrigin>([[THIS_MACHINE.toLowerCase(), 'config']]);
    const definitions: ITargetDefinition[] = files.flatMap(f => f.targets);
    for (const { config, origin } of definitions) {
      const owner = taken.get(config.name.toLowerCase());
      if (owner) {
        invalid.push({
          name: config.name,
          origin,
          kind: config.kind ?? 'jupyter',
          error: `target ${JSON.stringify(config.name)} of ${originText(origin)}: the name is already used (${originText(owner)})`
        });
        continue;
      }
      taken.set(config.name.toLowerCase(), origin);
      targets.push({ origin, resolved: resolvedOf(config) });
    }
    invalid.push(...files.flatMap(f => f.invalid));
    for (const { error } of invalid) {
      if (!this.warned.has(error)) {
        this.warned.add(error);
        this.options.warn?.(`elastic-notebook: ignoring a target: ${error}`);
      }
    }
    return { targets, invalid };
  }

  /** The target called `name` with its token (404 when there is none). */
  async resolve(name: string): Promise<IResolvedTarget> {
    const found = (await this.snapshot()).targets.find(t => t.resolved.name === name);
    if (!found) {
      throw new HttpError(404, `no target named ${JSON.stringify(name)}`);
    }
    return { ...found.resolved, hub: found.resolved.hub && { ...found.resolved.hub } };
  }

  /** Throw a 409 when a target (or a malformed definition) is called `name` already, in any case. */
  async checkNameFree(name: string): Promise<void> {
    const snapshot = await this.snapshot();
    const clash = [...snapshot.targets.map(t => t.resolved.name), ...snapshot.invalid.map(i => i.name)].find(
      taken => taken.toLowerCase() === name.toLowerCase()
    );
    if (clash !== undefined) {
      throw new HttpError(409, `name: a target named ${JSON.stringify(clash)} exists already`);
    }
  }

  /** Add a Jupyter server from the panel (409 when the name is taken). */
  add(request: AddTargetRequest): Promise<void> {
    return this.changePanel(async panel => {
      await this.checkNameFree(request.name);
      return [...panel, { name: request.name, kind: 'jupyter', url: request.url, token: request.token }];
    });
  }

  /** Remove a target added from the panel (403 for any other, 404 when there is none). */
  remove(name: string): Promise<void> {
    return this.changePanel(async panel => {
      if (!panel.some(t => t.name === name)) {
        const known = (await this.snapshot()).targets.find(t => t.resolved.name === name);
        if (name === THIS_MACHINE) {
          throw new HttpError(403, 'this machine is built in: it cannot be removed');
        }
        throw known
          ? new HttpError(
              403,
              `target ${JSON.stringify(name)} comes from ${originText(known.origin)}: only targets added from the panel can be removed there`
            )
          : new HttpError(404, `no target named ${JSON.stringify(name)}`);
      }
      return panel.filter(t => t.name !== name);
    });
  }

  /** Apply `change` to the panel's well-formed targets, one change at a time. */
  private changePanel(change: (panel: TargetConfig[]) => Promise<TargetConfig[]>): Promise<void> {
    const next = this.panelWrites.then(async () => {
      const panelFile = TARGET_FILES.find(f => f.origin === 'panel')!.file;
      const current = await readTargetFile(this.options.dataDir, panelFile, 'panel');
      await writePanelTargets(this.options.dataDir, await change(current.targets.map(t => t.config)));
    });
    this.panelWrites = next.catch(() => undefined);
    return next;
  }
}

/** Where a definition comes from, in words. */
function originText(origin: TargetOrigin): string {
  switch (origin) {
    case 'config':
      return 'the server configuration (c.ElasticNotebookApp.targets)';
    case 'file':
      return 'targets.json';
    default:
      return 'the panel';
  }
}
