/**
 * The files targets are defined in, all in the companion's data folder and of one format (a JSON
 * list of target definitions, or `{"targets": [...]}`):
 *
 * - `configured-targets.json`: `c.ElasticNotebookApp.targets`, written (0600) by the server
 *   extension at every start, so that tokens never pass through an environment or command line;
 * - `targets.json`: edited by the user;
 * - `panel-targets.json`: the Jupyter servers added from the panel, written here (0600, atomically).
 *
 * A malformed file or entry never stops the others: it becomes an {@link IInvalidTarget}.
 */
import {
  hubTargetConfigSchema,
  jupyterTargetConfigSchema,
  type TargetConfig
} from '@elastic-notebook/protocol/schemas';
import type { TargetOrigin } from '@elastic-notebook/protocol';
import { promises as fs } from 'fs';
import path from 'path';
import { syncPath, writeFileDurably } from '../durable';
import { describeIssues } from '../schemas';

/** The file of each origin, in the order their targets are listed. */
export const TARGET_FILES: ReadonlyArray<{ origin: TargetOrigin; file: string }> = [
  { origin: 'config', file: 'configured-targets.json' },
  { origin: 'file', file: 'targets.json' },
  { origin: 'panel', file: 'panel-targets.json' }
];

/** The panel's file, in `dataDir`. */
export const panelTargetsFile = (dataDir: string) => path.join(dataDir, 'panel-targets.json');

/** A well-formed definition and where it comes from. */
export interface ITargetDefinition {
  config: TargetConfig;
  origin: TargetOrigin;
}

/** A malformed file or entry, listed so that it can be fixed. */
export interface IInvalidTarget {
  /** The entry's name when it has one, else `<file> #<index>` (or the file's name). */
  name: string;
  origin: TargetOrigin;
  /** The kind it declares (`jupyter` when it declares none that is known). */
  kind: 'jupyter' | 'jupyterhub';
  /** What is wrong, naming the file and the field (never a value: it may be a token). */
  error: string;
}

/** What one file defines. */
export interface ITargetFileContent {
  targets: ITargetDefinition[];
  invalid: IInvalidTarget[];
}

/** Validate one entry: a Hub target when `kind` says so, else a Jupyter server. */
export function parseTargetConfig(
  entry: unknown
): { success: true; data: TargetConfig } | { success: false; error: string } {
  const isHub = !!entry && typeof entry === 'object' && (entry as { kind?: unknown }).kind === 'jupyterhub';
  const parsed = (isHub ? hubTargetConfigSchema : jupyterTargetConfigSchema).safeParse(entry);
  return parsed.success
    ? { success: true, data: parsed.data as TargetConfig }
    : // An entry is not a request body: an issue about the entry as a whole names nothing.
      { success: false, error: describeIssues(parsed.error, '').replace(/(^|; )request body: /g, '$1') };
}

/** The definitions of one file's JSON text. */
export function parseTargetFile(text: string, fileName: string, origin: TargetOrigin): ITargetFileContent {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return {
      targets: [],
      invalid: [{ name: fileName, origin, kind: 'jupyter', error: `${fileName}: not JSON (${(err as Error).message})` }]
    };
  }
  const entries = Array.isArray(json)
    ? json
    : json && typeof json === 'object' && Array.isArray((json as { targets?: unknown }).targets)
      ? (json as { targets: unknown[] }).targets
      : null;
  if (!entries) {
    return {
      targets: [],
      invalid: [
        {
          name: fileName,
          origin,
          kind: 'jupyter',
          error: `${fileName}: must hold a list of targets or {"targets": [...]}`
        }
      ]
    };
  }
  const content: ITargetFileContent = { targets: [], invalid: [] };
  entries.forEach((entry, index) => {
    const parsed = parseTargetConfig(entry);
    if (parsed.success) {
      content.targets.push({ config: parsed.data, origin });
    } else {
      const { name: named, kind } = (entry ?? {}) as { name?: unknown; kind?: unknown };
      const name = typeof named === 'string' && named.trim() ? named.trim() : `${fileName} #${index}`;
      content.invalid.push({
        name,
        origin,
        kind: kind === 'jupyterhub' ? 'jupyterhub' : 'jupyter',
        error: `${fileName}: target ${index}: ${parsed.error}`
      });
    }
  });
  return content;
}

/** The definitions of `<dataDir>/<file>`; a missing file defines nothing. */
export async function readTargetFile(dataDir: string, file: string, origin: TargetOrigin): Promise<ITargetFileContent> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dataDir, file), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return { targets: [], invalid: [] };
    }
    return {
      targets: [],
      invalid: [
        {
          name: file,
          origin,
          kind: 'jupyter',
          error: `${file}: cannot be read (${(err as NodeJS.ErrnoException).code})`
        }
      ]
    };
  }
  return parseTargetFile(text, file, origin);
}

/**
 * Replace the panel's file with `targets`, readable by its owner only (0600), atomically: a
 * crash leaves the old list or the new one, never a torn file.
 */
export async function writePanelTargets(dataDir: string, targets: TargetConfig[]): Promise<void> {
  await fs.mkdir(dataDir, { recursive: true });
  const file = panelTargetsFile(dataDir);
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    // Created 0600 before a byte of a token is in it.
    await (await fs.open(temp, 'wx', 0o600)).close();
    await fs.chmod(temp, 0o600);
    await writeFileDurably(temp, `${JSON.stringify({ targets }, null, 2)}\n`);
    await fs.rename(temp, file);
  } catch (err) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncPath(dataDir);
}
