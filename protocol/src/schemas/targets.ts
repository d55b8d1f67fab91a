/**
 * Targets: the machines a session can move to (this machine, a Jupyter server running this
 * extension, a JupyterHub server), as they are configured, added from the panel, and listed with
 * the facts of their machine (docs/internals.md section 5, "Targets").
 */
import { z } from 'zod';

/** What kind of place a target is. */
export const targetKindSchema = z.enum(['local', 'jupyter', 'jupyterhub']);

/** What kind of place a target is. */
export type TargetKind = z.infer<typeof targetKindSchema>;

/** Where a target's definition comes from (`config` for this machine too). */
export const targetOriginSchema = z.enum(['config', 'file', 'panel']);

/** Where a target's definition comes from. */
export type TargetOrigin = z.infer<typeof targetOriginSchema>;

/** A target's name: shown in the panel and given to `migrate --to`. */
export const targetNameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .refine(
    name => ![...name].some(c => c === '/' || c.charCodeAt(0) < 32),
    'must not contain "/" or control characters'
  );

/** An http(s) URL without credentials in it (the token is given apart and never shown). */
export const targetUrlSchema = z.string().superRefine((value, ctx) => {
  // No `URL` here: the protocol builds without DOM or Node types.
  const parts = /^(https?):\/\/([^/?#\s]+)([^?#\s]*)(\?[^#\s]*)?(#\S*)?$/i.exec(value);
  if (!parts) {
    ctx.addIssue({ code: 'custom', message: 'must be an http(s) URL' });
  } else if (parts[2].includes('@') || /[?&]token=/i.test(parts[4] ?? '')) {
    ctx.addIssue({ code: 'custom', message: 'must not carry credentials (give the token apart)' });
  } else if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i.test(parts[2])) {
    ctx.addIssue({ code: 'custom', message: 'must be an http(s) URL with a valid host' });
  }
});

const tokenSchema = z.string().min(1, 'must not be empty');

/** A Jupyter server running this extension: its URL (with its base path) and an API token. */
export const jupyterTargetConfigSchema = z.strictObject({
  name: targetNameSchema,
  kind: z.literal('jupyter').optional(),
  url: targetUrlSchema,
  token: tokenSchema
});

/** A named server of a user on a JupyterHub, reached with a Hub API token. */
export const hubTargetConfigSchema = z.strictObject({
  name: targetNameSchema,
  kind: z.literal('jupyterhub'),
  hubUrl: targetUrlSchema,
  apiToken: tokenSchema,
  user: z.string().min(1, 'must not be empty'),
  /** The named server ('' or absent: the user's default server). */
  server: z.string().optional(),
  /** The spawner profile (KubeSpawner's `profile`) to start it with. */
  profile: z.string().optional(),
  /** More `user_options` for the spawner. */
  userOptions: z.record(z.string(), z.unknown()).optional()
});

/**
 * One configured target, as `c.ElasticNotebookApp.targets`, `<dataDir>/targets.json` and the
 * panel's `<dataDir>/panel-targets.json` hold them (a file holds a list, or `{targets: [...]}`).
 */
export const targetConfigSchema = z.union([jupyterTargetConfigSchema, hubTargetConfigSchema]);

/** One configured target (server side only: it holds the token). */
export type TargetConfig = z.infer<typeof targetConfigSchema>;

/** A JupyterHub target's configuration. */
export type HubTargetConfig = z.infer<typeof hubTargetConfigSchema>;

/** `POST /api/targets`: a Jupyter server added from the panel. */
export const addTargetRequestSchema = z.strictObject({
  name: targetNameSchema,
  url: targetUrlSchema,
  token: tokenSchema
});

/** `POST /api/targets`'s body. */
export type AddTargetRequest = z.infer<typeof addTargetRequestSchema>;

/** The facts of one machine (`GET /api/machine`). */
export const machineInfoSchema = z.looseObject({
  /** The Elastic Notebook version serving it. */
  version: z.string(),
  hostname: z.string(),
  /** `linux`, `darwin`, `win32`... */
  platform: z.string(),
  /** `x64`, `arm64`... */
  arch: z.string().optional(),
  cpus: z.number().int().nonnegative(),
  memory: z.object({ totalBytes: z.number().nonnegative(), freeBytes: z.number().nonnegative() }),
  /** Free space where the companion keeps its data (and checkpoints by default). */
  disk: z.object({ path: z.string(), freeBytes: z.number().nonnegative().nullable() }),
  gpus: z.array(z.object({ name: z.string(), memoryBytes: z.number().nonnegative().nullable() })),
  /** The Jupyter server's Python (its default kernel's), or null when it could not be asked. */
  python: z.object({ version: z.string(), executable: z.string() }).nullable(),
  /** The version of each module asked for (`?modules=`), null when it is not installed. */
  modules: z.record(z.string(), z.string().nullable()),
  /** Speed of a fixed CPU-bound probe, higher is faster (only ratios mean something). */
  cpuScore: z.number().positive(),
  /** How long that probe took, ms. */
  cpuProbeMs: z.number().nonnegative(),
  /**
   * The S3 store this server checkpoints into, `s3://<endpoint host>/<bucket>` (`s3://<bucket>`
   * on AWS), null for a local folder (never credentials): a migration between two servers of the
   * same store goes through it. Absent from older servers.
   */
  checkpointStore: z.string().nullable().optional()
});

/** The facts of one machine. */
export type MachineInfo = z.infer<typeof machineInfoSchema>;

/** A module whose version differs between here and a target (`there` null: not installed there). */
export const moduleMismatchSchema = z.object({
  module: z.string(),
  here: z.string().nullable(),
  there: z.string().nullable()
});

/** A module whose version differs between here and a target. */
export type ModuleMismatch = z.infer<typeof moduleMismatchSchema>;

/** A JupyterHub target's named server, as the Hub said. */
export const hubServerSchema = z.object({
  user: z.string(),
  /** '' for the user's default server. */
  server: z.string(),
  state: z.enum(['running', 'pending', 'stopped']).nullable()
});

/** One target as `GET /api/targets` lists it: never a token, never credentials. */
export const targetSchema = z.object({
  name: z.string(),
  kind: targetKindSchema,
  /** The server's (or Hub's) URL; '' for this machine when its URL is unknown. */
  url: z.string(),
  origin: targetOriginSchema,
  /** Whether the panel may remove it (panel-added targets only). */
  removable: z.boolean(),
  reachable: z.boolean(),
  /** Why it is not reachable (or a malformed definition), null when reachable. */
  reason: z.string().nullable(),
  /** Whether its Elastic Notebook version is this one's; null when unknown. */
  versionMatch: z.boolean().nullable(),
  machine: machineInfoSchema.nullable(),
  moduleMismatches: z.array(moduleMismatchSchema),
  /** Its `cpuScore` over this machine's; null when unknown. */
  relativeCpuSpeed: z.number().nullable(),
  bandwidthBytesPerSec: z.number().nullable(),
  /** `measured` on real transfers, or a small `probe` when nothing was measured yet. */
  bandwidthSource: z.enum(['measured', 'probe']).nullable(),
  /** For a JupyterHub target: its user and named server, and whether it runs. */
  hub: hubServerSchema.optional(),
  /** Set for an entry whose definition is malformed (it is listed so that it can be fixed). */
  configError: z.string().optional()
});

/** One listed target. */
export type Target = z.infer<typeof targetSchema>;

/** `GET /api/targets`. */
export const targetListSchema = z.object({ targets: z.array(targetSchema) });

/** `GET /api/targets`. */
export type TargetList = z.infer<typeof targetListSchema>;

/** `POST /api/machine/echo`: how many bytes arrived. */
export const echoResultSchema = z.object({ bytes: z.number().int().nonnegative() });
