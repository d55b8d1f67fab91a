/**
 * What the kernel agent answers to the companion's named calls (docs/checkpoint.md section 4):
 * `call(name, base64 JSON args)` returns base64 JSON of these shapes. Defaults fill what older
 * agents leave out; unknown fields pass through.
 */
import { z } from 'zod';

const checksum = z.string().regex(/^(xxh3_128|sha256):[0-9a-f]+$/, 'must be "<algorithm>:<hex>"');
const fingerprint = z.looseObject({ digest: z.string().nullable(), comparable: z.boolean() });

/** One variable's fingerprint at checkpoint time. */
export type IFingerprint = z.infer<typeof fingerprint>;

const environment = z.looseObject({
  python: z.string(),
  implementation: z.string().optional(),
  platform: z.string().optional(),
  hostname: z.string().optional(),
  modules: z.record(z.string(), z.string()).default({})
});

/** The source environment the agent reports. */
export type ISourceEnvironment = z.infer<typeof environment>;

const fileInfo = z.looseObject({ file: z.string(), bytes: z.number().nonnegative(), checksum });

/** A file the agent wrote: its path relative to the bundle, size and checksum. */
export type IWrittenFile = z.infer<typeof fileInfo>;

/** Buffer memory the full fingerprints hashed whole, and the time that took. */
const hashedSchema = z.looseObject({
  bytes: z.number().nonnegative().default(0),
  ms: z.number().nonnegative().default(0)
});

/** What fingerprinting a state spent hashing arrays' memory. */
export type IHashed = z.infer<typeof hashedSchema>;

/** What `checkpoint` answers: the groups written, fingerprints, random states and environment. */
export const checkpointResultSchema = z.looseObject({
  ok: z.boolean().optional(),
  error: z.string().nullable().optional(),
  groups: z.array(
    z.looseObject({
      index: z.number().int().nonnegative(),
      ok: z.boolean(),
      error: z.string().nullable().optional(),
      file: z.string().nullable().optional(),
      bytes: z.number().nonnegative().default(0),
      checksum: checksum.nullable().optional(),
      serializer: z.string().nullable().optional(),
      serializeMs: z.number().nonnegative().default(0),
      /** Time writing this group's file took (files are written in parallel). */
      writeMs: z.number().nonnegative().optional()
    })
  ),
  fingerprints: z.record(z.string(), fingerprint),
  random: fileInfo,
  source: environment,
  serializeMs: z.number().nonnegative().default(0),
  /** Time the agent spent writing payload bytes to the staging folder. */
  writeMs: z.number().nonnegative().default(0),
  /** Time the fingerprints took. */
  fingerprintMs: z.number().nonnegative().optional(),
  /** Of the fingerprints' time: hashing arrays' memory (absent from older agents). */
  hashed: hashedSchema.optional(),
  /** The whole call's time. */
  totalMs: z.number().nonnegative().optional()
});

/** What `checkpoint` answers. */
export type ICheckpointReply = z.infer<typeof checkpointResultSchema>;

const loadAnswer = z.looseObject({
  index: z.number().int().nonnegative(),
  ok: z.boolean(),
  error: z.string().nullable().optional(),
  loadMs: z.number().nonnegative().default(0),
  /** Of loadMs, the time spent importing modules for the first time (a re-run pays it too). */
  importMs: z.number().nonnegative().default(0),
  /** How many modules those first imports loaded. */
  modulesImported: z.number().int().nonnegative().default(0),
  bytes: z.number().nonnegative().default(0)
});

/** What `load` answers: one entry per group asked for. */
export const loadResultSchema = z.looseObject({
  ok: z.boolean().optional(),
  error: z.string().nullable().optional(),
  groups: z.array(loadAnswer)
});

/** What `load` answers. */
export type ILoadReply = z.infer<typeof loadResultSchema>;

/** What `verify` answers: how the live variables compare with their fingerprints. */
export const verifyResultSchema = z.looseObject({
  /** Whether every variable matched its fingerprint. */
  ok: z.boolean(),
  error: z.string().nullable().optional(),
  differ: z.array(z.string()).default([]),
  missing: z.array(z.string()).default([]),
  unexpected: z.array(z.string()).default([]),
  notCompared: z.array(z.string()).default([]),
  /** Why each variable of `notCompared` cannot be compared across processes. */
  notComparedReasons: z.record(z.string(), z.string()).default({}),
  /** The time the comparison took. */
  verifyMs: z.number().nonnegative().optional()
});

/** What `verify` answers. */
export type IVerification = z.infer<typeof verifyResultSchema>;

/** What `prepare` answers. */
export const okSchema = z.looseObject({ ok: z.boolean(), error: z.string().nullable().optional() });
/** What `prepare` answers: whether a recorded random state was set, for which generators. */
export const prepareResultSchema = okSchema.extend({
  /** False when no random state was recorded for the execution (its re-run draws fresh numbers). */
  applied: z.boolean().optional(),
  python: z.boolean().optional(),
  numpy: z.boolean().optional(),
  /** The library settings set with it. */
  settings: z.unknown().optional(),
  /** Why no state was applied. */
  warning: z.string().optional()
});

/** What `adopt` answers: how many records the kernel continues from. */
export const adoptSchema = okSchema.extend({ records: z.number().int().nonnegative().optional() });

/** What `imports` answers. */
export const importsResultSchema = z.looseObject({
  ok: z.boolean().optional(),
  error: z.string().nullable().optional(),
  imported: z.array(z.string()).default([]),
  /** Modules left to the re-runs, with the reason (not found, in the notebook's folder, failed). */
  skipped: z.record(z.string(), z.string()).default({}),
  importMs: z.number().nonnegative().default(0),
  /** How many modules the early imports loaded. */
  modulesImported: z.number().int().nonnegative().default(0)
});

/** What `imports` answers. */
export type IImportsReply = z.infer<typeof importsResultSchema>;

const ms = z.number().nonnegative().default(0);
const stepResult = z.discriminatedUnion('kind', [
  z.looseObject({
    kind: z.literal('rerun'),
    execution: z.number().int().nonnegative(),
    error: z.string().nullable(),
    ms
  }),
  z.looseObject({ kind: z.literal('load'), groups: z.array(loadAnswer), ms })
]);

/** What `restore` answers: the steps run and, when all ran, verification and adoption. */
export const restoreResultSchema = z.looseObject({
  ok: z.boolean(),
  error: z.string().nullable().optional(),
  /** The steps run, in order: a prefix of the steps asked for. */
  steps: z.array(stepResult).default([]),
  /** Why the call returned before the last step; null when every step ran. */
  stopped: z.enum(['budget', 'event-loop', 'load-failed']).nullable().default(null),
  imports: importsResultSchema.optional(),
  /** Present when every step ran and `finish` was given. */
  verification: verifyResultSchema.optional(),
  verifyMs: ms,
  /** Of verifying: hashing arrays' memory. */
  hashed: hashedSchema.optional(),
  adopted: adoptSchema.optional(),
  adoptMs: ms
});

/** What `restore` answers. */
export type IRestoreReply = z.infer<typeof restoreResultSchema>;

/**
 * What `status` answers: whether the agent records in this kernel and how far it is. It is the one
 * call that answers without an active agent (`{"active": false}`).
 */
export const statusResultSchema = z.looseObject({
  active: z.boolean(),
  runId: z.string().optional(),
  /** Executions recorded in this run. */
  recorded: z.number().int().nonnegative().optional(),
  /** Of those, how many the companion acknowledged. */
  acknowledged: z.number().int().nonnegative().optional(),
  lastError: z.string().nullable().optional()
});

/** What `status` answers. */
export type IStatusReply = z.infer<typeof statusResultSchema>;

/** Every named call's answer schema, by call name. */
export const agentReplySchemas = {
  status: statusResultSchema,
  checkpoint: checkpointResultSchema,
  prepare: prepareResultSchema,
  load: loadResultSchema,
  imports: importsResultSchema,
  restore: restoreResultSchema,
  verify: verifyResultSchema,
  adopt: adoptSchema
};

/** A named call of the agent. */
export type AgentCallName = keyof typeof agentReplySchemas;
