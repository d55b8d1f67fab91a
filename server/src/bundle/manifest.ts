/**
 * manifest.json of a checkpoint bundle (docs/checkpoint.md section 2): the zod schema, parsing with
 * precise errors, and helpers over the files a manifest refers to.
 *
 * The schema is strict about what readers rely on (file paths, sizes, checksums, decisions) and
 * loose about the rest: objects keep fields they do not know, so that a writer of the same format
 * version may add fields, and `ahg`, `plan` and `marks` are opaque records owned by other modules.
 * A bundle from a newer format version is refused before the schema is applied.
 */
import { z } from 'zod';
import { BundleError } from './errors';
import { isCheckpointId } from './checkpointId';

/** The manifest format this code writes and reads. */
export const FORMAT_VERSION = 1;

/** The `format` field of every manifest. */
export const BUNDLE_FORMAT = 'elastic-notebook-bundle';

/** Name of the manifest inside a bundle; a bundle exists iff this file (or object) exists. */
export const MANIFEST_FILE = 'manifest.json';

/** Folder of a bundle that holds one payload folder per checkpoint. */
export const PAYLOADS_DIR = 'payloads';

const PAYLOAD_PATH = /^payloads\/([^/]+)\/([A-Za-z0-9_][A-Za-z0-9._-]*)$/;

/**
 * Split a bundle-relative payload path `payloads/<checkpointId>/<name>` into its parts, or return
 * null when it is anything else (another folder, a nested or hidden name, `..`).
 */
export function splitPayloadPath(file: string): { checkpointId: string; name: string } | null {
  const match = PAYLOAD_PATH.exec(file);
  if (!match || !isCheckpointId(match[1])) {
    return null;
  }
  return { checkpointId: match[1], name: match[2] };
}

/** The bundle-relative path of payload `name` of checkpoint `checkpointId`. */
export function payloadPath(checkpointId: string, name: string): string {
  const file = `${PAYLOADS_DIR}/${checkpointId}/${name}`;
  if (splitPayloadPath(file) === null) {
    throw new BundleError('invalid', `'${name}' of checkpoint '${checkpointId}' is not a valid payload file name`);
  }
  return file;
}

const payloadFile = z.string().superRefine((file, ctx) => {
  if (splitPayloadPath(file) === null) {
    ctx.addIssue({
      code: 'custom',
      message: `must be a payload path "payloads/<checkpointId>/<file name>", got ${JSON.stringify(file)}`
    });
  }
});

const checksum = z
  .string()
  .regex(/^(xxh3_128|sha256):[0-9a-f]+$/, 'must be "xxh3_128:<hex>" or "sha256:<hex>" (lowercase hex)');

const byteCount = z.number().int('must be a whole number of bytes').nonnegative('cannot be negative');

const fileInfo = {
  file: payloadFile,
  bytes: byteCount,
  checksum
};

const groupSchema = z
  .looseObject({
    members: z.array(z.string().min(1, 'variable names cannot be empty')).min(1, 'a group has at least one member'),
    decision: z.enum(['copy', 'recompute']),
    /** Payload path, null when the group is recomputed. */
    file: payloadFile.nullable(),
    bytes: byteCount,
    checksum: checksum.nullable(),
    /** 'pickle', 'cloudpickle' or 'dill'; null when recomputed. */
    serializer: z.string().min(1, 'cannot be empty').nullable(),
    /** Executions that produced the group's active snapshots. */
    producedBy: z.array(z.number().int().nonnegative())
  })
  .superRefine((group, ctx) => {
    if (group.decision === 'copy') {
      for (const field of ['file', 'checksum', 'serializer'] as const) {
        if (group[field] === null) {
          ctx.addIssue({ code: 'custom', path: [field], message: 'a copied group needs a payload ' + field });
        }
      }
    } else if (group.file !== null) {
      ctx.addIssue({ code: 'custom', path: ['file'], message: 'a recomputed group has no payload file (null)' });
    }
  });

/** The zod schema of manifest.json, format version 1. */
export const manifestSchema = z
  .looseObject({
    format: z.literal(BUNDLE_FORMAT),
    // A number rather than the literal 1, so that writers' types need no `as const`; newer
    // versions are refused before the schema runs, older ones never existed.
    formatVersion: z
      .number()
      .int()
      .refine(v => v === FORMAT_VERSION, `must be ${FORMAT_VERSION}`),
    checkpointId: z.string().refine(isCheckpointId, 'must look like "20261121T101500Z-1a2b3c4d"'),
    createdAt: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }),
    notebook: z.looseObject({
      /** The notebook's absolute path on the machine that made the checkpoint (CLI and JupyterLab alike), when known. */
      path: z.string().nullable(),
      kernelName: z.string().nullable()
    }),
    source: z.looseObject({
      python: z.string(),
      implementation: z.string().optional(),
      platform: z.string().optional(),
      hostname: z.string().optional(),
      modules: z.record(z.string(), z.string()).default({})
    }),
    /** The graph JSON of docs/internals.md section 6 (owned by server/src/ahg). */
    ahg: z.record(z.string(), z.unknown()),
    /** The planner's feasible plan (owned by server/src/planner). */
    plan: z.record(z.string(), z.unknown()),
    /** The user's marks the plan was made with (owned by server/src/planner). */
    marks: z.record(z.string(), z.unknown()).default({}),
    history: z.looseObject({ ...fileInfo, records: z.number().int().nonnegative() }),
    random: z.looseObject(fileInfo),
    groups: z.array(groupSchema),
    fingerprints: z.record(z.string(), z.looseObject({ digest: z.string().nullable(), comparable: z.boolean() })),
    stats: z.record(z.string(), z.number().nonnegative('cannot be negative'))
  })
  .superRefine((manifest, ctx) => {
    const owner = new Map<string, number>();
    manifest.groups.forEach((group, g) => {
      for (const member of group.members) {
        const other = owner.get(member);
        if (other !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['groups', g, 'members'],
            message: `variable '${member}' is also a member of groups[${other}]; every variable is in one group`
          });
        }
        owner.set(member, g);
      }
    });
    const seen = new Map<string, string>();
    const claim = (file: string | null, where: (string | number)[]): void => {
      if (file === null) {
        return;
      }
      const first = seen.get(file);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: where, message: `${file} is also the file of ${first}` });
      }
      seen.set(file, formatPath(where));
    };
    claim(manifest.history.file, ['history', 'file']);
    claim(manifest.random.file, ['random', 'file']);
    manifest.groups.forEach((group, g) => claim(group.file, ['groups', g, 'file']));
  });

/** A payload file of the manifest. */
export interface IManifestFile {
  /** Bundle-relative path, `payloads/<checkpointId>/<name>`. */
  file: string;
  bytes: number;
  /** `"xxh3_128:<hex>"` or `"sha256:<hex>"`, over the whole file. */
  checksum: string;
}

/** A linked group of active variables: copied (one payload file) or recomputed. */
export interface IManifestGroup {
  members: string[];
  decision: 'copy' | 'recompute';
  /** Payload path, null when recomputed. */
  file: string | null;
  bytes: number;
  checksum: string | null;
  /** 'pickle', 'cloudpickle' or 'dill'; null when recomputed. */
  serializer: string | null;
  /** Executions that produced the group's active snapshots. */
  producedBy: number[];
}

/** A variable's full-content fingerprint at checkpoint time. */
export interface IManifestFingerprint {
  /** Fields added by the agent beyond these are kept. */
  [field: string]: unknown;
  digest: string | null;
  /** False for objects that cannot be compared across processes (verification skips them). */
  comparable: boolean;
}

/** The environment the checkpoint was taken in. */
export interface IManifestSource {
  /** Fields added by the agent beyond these are kept. */
  [field: string]: unknown;
  python: string;
  implementation?: string;
  platform?: string;
  hostname?: string;
  /** Versions of key packages, by module name. */
  modules: Record<string, string>;
}

/**
 * A validated manifest (docs/checkpoint.md section 2). Fields this version does not know are kept
 * at run time (and written back by a commit), but not typed.
 */
export interface IManifest {
  format: typeof BUNDLE_FORMAT;
  formatVersion: number;
  checkpointId: string;
  /** ISO 8601 creation time. */
  createdAt: string;
  notebook: { path: string | null; kernelName: string | null };
  source: IManifestSource;
  /** The graph JSON of docs/internals.md section 6 (owned by server/src/ahg). */
  ahg: Record<string, unknown>;
  /** The planner's feasible plan (owned by server/src/planner). */
  plan: Record<string, unknown>;
  /** The marks the plan was made with (owned by server/src/planner); {} when absent. */
  marks: Record<string, unknown>;
  history: IManifestFile & { records: number };
  random: IManifestFile;
  groups: IManifestGroup[];
  fingerprints: Record<string, IManifestFingerprint>;
  /** Timings and sizes: serializeMs, writeMs, bytes, ... */
  stats: Record<string, number>;
}

/** What a writer passes to `commit` (validated there): `marks` and `source.modules` may be left out. */
export type ManifestInput = Omit<IManifest, 'marks' | 'source'> & {
  marks?: Record<string, unknown>;
  source: Omit<IManifestSource, 'modules'> & { modules?: Record<string, string> };
};

/** One group of a manifest. */
export type ManifestGroup = IManifestGroup;

/**
 * Validate a parsed manifest.json. Throws `BundleError`: 'newer-format' when `formatVersion` is
 * greater than `FORMAT_VERSION` (checked first: a newer format may differ in any other field), and
 * 'corrupt' for anything else that does not match, naming the first offending field. `where`
 * (the bundle URI) prefixes every message.
 */
export function parseManifest(json: unknown, where?: string): IManifest {
  const at = (message: string): string => (where ? `${where}: ${message}` : message);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new BundleError('corrupt', at(`${MANIFEST_FILE} does not hold a JSON object`));
  }
  const { format, formatVersion } = json as { format?: unknown; formatVersion?: unknown };
  if (format !== BUNDLE_FORMAT) {
    const found = format === undefined ? 'it has no "format"' : `its format is ${JSON.stringify(format)}`;
    throw new BundleError(
      'corrupt',
      at(`${MANIFEST_FILE} is not an Elastic Notebook bundle manifest (${found}, expected "${BUNDLE_FORMAT}")`)
    );
  }
  if (typeof formatVersion === 'number' && Number.isInteger(formatVersion) && formatVersion > FORMAT_VERSION) {
    throw new BundleError('newer-format', at(newerFormatMessage(formatVersion)), { formatVersion });
  }
  const parsed = manifestSchema.safeParse(json, { reportInput: true });
  if (!parsed.success) {
    const [issue, ...more] = parsed.error.issues;
    const extra = more.length > 0 ? ` (and ${more.length} more problem${more.length > 1 ? 's' : ''})` : '';
    const field = issue.path.length > 0 ? formatPath(issue.path) : 'the manifest';
    throw new BundleError('corrupt', at(`${MANIFEST_FILE} is invalid: ${field}: ${describeIssue(issue)}${extra}`));
  }
  return parsed.data;
}

/** Parse the text of manifest.json (see `parseManifest`); invalid JSON is 'corrupt'. */
export function parseManifestText(text: string, where?: string): IManifest {
  const at = (message: string): string => (where ? `${where}: ${message}` : message);
  if (text.trim() === '') {
    throw new BundleError('corrupt', at(`${MANIFEST_FILE} is empty`));
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new BundleError('corrupt', at(`${MANIFEST_FILE} is not valid JSON (${(err as Error).message})`));
  }
  return parseManifest(json, where);
}

/** The message for a bundle written in a newer format (docs/checkpoint.md section 2). */
export function newerFormatMessage(version: number): string {
  return (
    `bundle format version ${version} is newer than this Elastic Notebook supports (${FORMAT_VERSION}); ` +
    'upgrade Elastic Notebook to restore it'
  );
}

/**
 * The text written to manifest.json: compact JSON (indenting made it a third larger, and a bundle
 * should be no larger than a whole-session dump; `elastic-notebook describe` is the readable view).
 */
export function serializeManifest(manifest: IManifest): string {
  return `${JSON.stringify(manifest)}\n`;
}

/** Every payload file the manifest refers to: history, random states, then copied groups. */
export function manifestFiles(manifest: IManifest): IManifestFile[] {
  const files: IManifestFile[] = [
    { file: manifest.history.file, bytes: manifest.history.bytes, checksum: manifest.history.checksum },
    { file: manifest.random.file, bytes: manifest.random.bytes, checksum: manifest.random.checksum }
  ];
  for (const group of manifest.groups) {
    if (group.file !== null && group.checksum !== null) {
      files.push({ file: group.file, bytes: group.bytes, checksum: group.checksum });
    }
  }
  return files;
}

/** The checkpoint ids whose payload folders the manifest refers to (these survive garbage collection). */
export function referencedCheckpoints(manifest: IManifest): Set<string> {
  const ids = new Set<string>();
  for (const { file } of manifestFiles(manifest)) {
    const parts = splitPayloadPath(file);
    if (parts) {
      ids.add(parts.checkpointId);
    }
  }
  return ids;
}

/** Total payload bytes of a checkpoint: copied groups, history and random states. */
export function payloadBytes(manifest: IManifest): number {
  return manifestFiles(manifest).reduce((sum, f) => sum + f.bytes, 0);
}

/** Names of the copied variables, sorted. */
export function copiedVariables(manifest: IManifest): string[] {
  return manifest.groups
    .filter(g => g.decision === 'copy')
    .flatMap(g => g.members)
    .sort();
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`))
    .join('');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && 'input' in issue && issue.input === undefined) {
    return `missing (expected ${issue.expected})`;
  }
  if (issue.code === 'invalid_value' && issue.values.length === 1) {
    return `must be ${JSON.stringify(issue.values[0])}`;
  }
  return issue.message.replace(/^Invalid (input|option): /, '');
}
