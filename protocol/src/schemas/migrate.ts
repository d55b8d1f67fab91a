/**
 * Migration to another Jupyter server running this extension (docs/internals.md section 5):
 * the migrate request a source companion takes, the incoming-transfer requests a target companion
 * takes from it, and the migrate job's result.
 */
import { z } from 'zod';
import { verifyResultSchema } from './agentReplies';
import { marksSchema } from './marks';
import { objectiveSchema } from './objective';
import { DEFAULT_OBJECTIVE } from '../objectives';

/** Largest chunk of a file the target accepts in one request (8 MiB). */
export const MAX_CHUNK_BYTES = 8 * 1024 * 1024;

/** Files one transfer may hold at most. */
export const MAX_TRANSFER_FILES = 10_000;

/** A lowercase hex SHA-256 digest (64 characters). */
export const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 digest in 64 lowercase hex digits');

/**
 * A file path inside a transfer: relative, `/`-separated, each segment made of letters, digits,
 * `.`, `_`, `-` and none of them `.` or `..` (so it can never leave the transfer's folder).
 */
export const transferPathSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(1024)
  .superRefine((value, ctx) => {
    const segments = value.split('/');
    const bad = segments.find(s => s === '' || s === '.' || s === '..' || !/^[A-Za-z0-9._-]+$/.test(s));
    if (bad !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message:
          'must be a relative path of letters, digits, ".", "_" and "-" segments without "." or "..", ' +
          `got ${JSON.stringify(value)}`
      });
    }
  });

/** One file announced by `POST /api/incoming`. */
export const incomingFileSchema = z
  .object({
    path: transferPathSchema,
    bytes: z.number().int().nonnegative(),
    sha256: sha256Schema
  })
  .strict();

/** A list of announced files, each path once. */
const incomingFilesSchema = z
  .array(incomingFileSchema)
  .max(MAX_TRANSFER_FILES)
  .superRefine((files, ctx) => {
    const seen = new Set<string>();
    files.forEach((file, index) => {
      if (seen.has(file.path)) {
        ctx.addIssue({ code: 'custom', path: [index, 'path'], message: `${file.path} is listed twice` });
      }
      seen.add(file.path);
    });
  });

/**
 * What a target prepares while the source still checkpoints (pipelined migration): a session
 * for the notebook with a new kernel, the agent loaded and the session's modules imported.
 */
export const incomingPrepareSchema = z
  .object({
    /** The notebook's path relative to the target's Jupyter root (the session binds it). */
    notebookPath: z.string().min(1).max(4096),
    /** The kernel to start; default the server's default. */
    kernelName: z.string().max(256).optional(),
    /** Top-level modules the session imported (only these are imported early). */
    modules: z.array(z.string().min(1).max(256)).max(10_000).default([]),
    /**
     * The session's cells in order: the early imports follow them and stop at the first cell
     * that could change how modules import (as a restore's early imports do).
     */
    codes: z.array(z.string().max(1_000_000)).max(100_000).default([])
  })
  .strict();

/** A prepare request as a caller sends it. */
export type IncomingPrepareBody = z.input<typeof incomingPrepareSchema>;

/**
 * The body of `POST /api/incoming`: the files that will come. An `open` transfer may start
 * empty and gets more files by `POST /api/incoming/:id/files` as the source writes them.
 */
export const incomingRequestSchema = z
  .object({
    files: incomingFilesSchema,
    open: z.boolean().optional(),
    prepare: incomingPrepareSchema.optional()
  })
  .strict()
  .superRefine((body, ctx) => {
    if (!body.open && body.files.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['files'], message: 'a transfer holds at least one file' });
    }
  });

/** The body of `POST /api/incoming/:id/files`: more files of an open transfer. */
export const incomingFilesRequestSchema = z
  .object({ files: incomingFilesSchema.refine(files => files.length > 0, 'name at least one file') })
  .strict();

/** More files of an open transfer as a caller sends them. */
export type IncomingFilesRequestBody = z.input<typeof incomingFilesRequestSchema>;

/** How far the target's prepared session is (`GET /api/incoming/:id`). */
export const incomingPrepareStatusSchema = z.object({
  state: z.enum(['starting', 'ready', 'failed']),
  error: z.string().nullable()
});

/** When the target prepared its session, epoch ms on the target's clock (in the restore's result). */
export const preparedTimesSchema = z.object({
  startedAt: z.number(),
  /** The kernel answered with the agent loaded. */
  kernelReadyAt: z.number().nullable(),
  /** The early imports ended. */
  importedAt: z.number().nullable(),
  importMs: z.number(),
  modulesImported: z.number()
});

/** When the target prepared its session. */
export type IPreparedTimes = z.infer<typeof preparedTimesSchema>;

/** A transfer request as a caller sends it. */
export type IncomingRequestBody = z.input<typeof incomingRequestSchema>;

/** What `POST /api/incoming` answers (201). */
export const incomingCreatedSchema = z.object({ transferId: z.string() });

/** A new transfer. */
export type IIncomingCreated = z.infer<typeof incomingCreatedSchema>;

/** One file of a transfer and the bytes received so far (the offset to resume from). */
export const incomingFileStatusSchema = z.object({
  path: z.string(),
  bytes: z.number(),
  sha256: z.string(),
  received: z.number()
});

/** What `GET /api/incoming/:id` answers. */
export const incomingStatusSchema = z.object({
  transferId: z.string(),
  files: z.array(incomingFileStatusSchema),
  /** Whether every file has all its bytes. */
  complete: z.boolean(),
  /** True while more files may still be announced (absent for a transfer announced at once). */
  open: z.boolean().optional(),
  /** The session prepared for the restore, when one was asked for. */
  prepare: incomingPrepareStatusSchema.optional()
});

/** A transfer's state. */
export type IIncomingStatus = z.infer<typeof incomingStatusSchema>;

/** The query of `PUT /api/incoming/:id/files` (the body is the chunk's raw bytes). */
export const chunkQuerySchema = z.object({
  path: transferPathSchema,
  offset: z.coerce.number().int().nonnegative(),
  sha256: sha256Schema
});

/** What a stored chunk answers: the file's bytes received so far. */
export const chunkAcceptedSchema = z.object({ path: z.string(), received: z.number() });

/** The body of `POST /api/incoming/:id/restore`. */
export const incomingRestoreRequestSchema = z
  .object({
    /** The notebook's path relative to the target's Jupyter root (the session binds it). */
    notebookPath: z.string().min(1).max(4096),
    /** The kernel to start; default the one the bundle's manifest names, else the server's default. */
    kernelName: z.string().max(256).optional()
  })
  .strict();

/**
 * The body of `POST /api/incoming/restore-shared`: restore a bundle the source companion wrote
 * into the S3 store both sides share (the target accepts only a URI inside its own store).
 */
export const sharedRestoreRequestSchema = z
  .object({
    /** The bundle, `s3://<bucket>/<prefix>`, in the bucket of the target's checkpoint root. */
    uri: z
      .string()
      .regex(/^s3:\/\/\S+$/, 'must be an s3:// URI')
      .max(4096),
    notebookPath: z.string().min(1).max(4096),
    kernelName: z.string().max(256).optional()
  })
  .strict();

/** What `POST /api/incoming/:id/restore` (and `restore-shared`) answers (202). */
export const incomingRestoreStartedSchema = z.object({
  jobId: z.string(),
  kernelId: z.string(),
  sessionId: z.string()
});

/** A restore started on the target. */
export type IIncomingRestoreStarted = z.infer<typeof incomingRestoreStartedSchema>;

const positive = z.number().finite().positive();

/**
 * Numbers a caller gives to price a migration's plan for its target, instead of the measured or
 * probed ones: the bandwidth to the target, bytes/s, and the target's CPU speed relative to this
 * machine's (2: re-running a cell there takes half its recorded time).
 */
export const pricingRequestSchema = z
  .object({ bandwidthBytesPerS: positive.optional(), cpuRatio: positive.optional() })
  .strict();

/** Where a pricing number came from: given in the request, measured by earlier transfers, probed now. */
export const pricingSourceSchema = z.enum(['given', 'measured', 'probe']);

/**
 * What a migration's plan was priced with for its target (the job's `pricing`): copying a group
 * also costs sending its bytes at `bandwidthBytesPerS`; re-running an execution on the target costs
 * its recorded time / `cpuRatio` (target CPU score / source CPU score). A null number could not be
 * had (the probe failed): the plan then leaves it out (no transfer priced, the same speed).
 */
export const targetPricingSchema = z.object({
  bandwidthBytesPerS: positive.nullable(),
  bandwidthSource: pricingSourceSchema.nullable(),
  cpuRatio: positive.nullable(),
  cpuSource: pricingSourceSchema.nullable()
});

/** What a migration's plan was priced with for its target. */
export type ITargetPricing = z.infer<typeof targetPricingSchema>;

/** The body of `POST /api/kernels/:kernelId/migrate`. */
export const migrateRequestSchema = z
  .object({
    /** A configured target's name (resolved by the companion's target registry). */
    target: z.string().min(1).max(256).optional(),
    /** Or a Jupyter server URL with its token (the CLI's `--to URL --to-token T`, tests). */
    targetUrl: z
      .string()
      .regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL')
      .max(4096)
      .optional(),
    targetToken: z.string().max(4096).optional(),
    objective: objectiveSchema.default(DEFAULT_OBJECTIVE),
    marks: marksSchema.optional(),
    /** The notebook's path relative to the Jupyter root; it is copied to the same path on the target. */
    notebookPath: z.string().min(1).max(4096),
    kernelName: z.string().max(256).optional(),
    /** Replace a different notebook already at that path on the target. */
    overwrite: z.boolean().optional(),
    /** Shut the source kernel down once the target verified the restored session (never after a failure). */
    stopSource: z.boolean().optional(),
    /** Price the plan with these numbers instead of the measured or probed ones. */
    pricing: pricingRequestSchema.optional()
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.targetUrl === undefined && body.target === undefined) {
      ctx.addIssue({ code: 'custom', path: ['target'], message: 'name a target, or give targetUrl and targetToken' });
    }
    if (body.targetUrl !== undefined && body.target !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['targetUrl'], message: 'give either target or targetUrl, not both' });
    }
    if ((body.targetUrl === undefined) !== (body.targetToken === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['targetToken'], message: 'targetUrl and targetToken go together' });
    }
  });

/** A migrate request as a caller sends it. */
export type MigrateRequestBody = z.input<typeof migrateRequestSchema>;

/** A validated migrate request. */
export type MigrateRequest = z.output<typeof migrateRequestSchema>;

/** Where a migration's time went, ms. */
export const migrateTimingsSchema = z.object({
  checkpointMs: z.number(),
  transferMs: z.number(),
  restoreMs: z.number(),
  totalMs: z.number()
});

/** A span of a migration's phase, epoch ms (the source's clock; `prepare` the target's). */
export const phaseSpanSchema = z.object({ startAt: z.number(), endAt: z.number() });

/** One file sent during a pipelined migration, epoch ms on the source's clock. */
export const pipelinedFileSchema = z.object({
  path: z.string(),
  bytes: z.number(),
  /** The checkpoint had written it (and it was queued to the sender). */
  writtenAt: z.number(),
  /** The target had all of its bytes. */
  receivedAt: z.number()
});

/**
 * How a migration's phases overlapped: the target prepares its kernel while the source
 * checkpoints, and each payload is sent as soon as it is written.
 */
export const migratePipelineSchema = z.object({
  /** Time the checkpoint ran while the target prepared or files were being sent, ms. */
  overlapMs: z.number(),
  phases: z.object({
    check: phaseSpanSchema,
    checkpoint: phaseSpanSchema,
    send: phaseSpanSchema,
    restore: phaseSpanSchema,
    /** The target's session preparation (the target's clock), null when none was used. */
    prepare: phaseSpanSchema.nullable()
  }),
  /** When the bundle's manifest was written on the source (every payload before it). */
  manifestWrittenAt: z.number(),
  files: z.array(pipelinedFileSchema),
  /** Whether the restore ran in the kernel prepared during the checkpoint. */
  preparedKernel: z.boolean()
});

/** How a migration's phases overlapped. */
export type IMigratePipeline = z.infer<typeof migratePipelineSchema>;

/** What a finished migrate job answers (and `migrate --json` prints). */
export const migrateJobResultSchema = z.looseObject({
  /** The target's name (its URL for a target given by URL). */
  target: z.string(),
  /** The restored kernel, on the target. */
  kernelId: z.string(),
  /** The Jupyter session binding the notebook to that kernel, on the target. */
  sessionId: z.string(),
  /** `<target URL>/lab/tree/<notebookPath>` (never a token). */
  notebookUrl: z.string(),
  notebookPath: z.string(),
  plan: z.looseObject({ objective: objectiveSchema, copy: z.array(z.string()), rerun: z.array(z.number().int()) }),
  /** Bytes sent to the target. */
  bytes: z.number(),
  verification: verifyResultSchema,
  timings: migrateTimingsSchema,
  /** How the phases overlapped (absent from results of earlier versions). */
  pipeline: migratePipelineSchema.optional(),
  /**
   * How the bundle reached the target: `direct` (chunks from companion to companion),
   * `shared-store` (written to the S3 store both sides share, read there by the target) or
   * `local` (a new kernel on this Jupyter server: nothing left the machine).
   */
  transport: z.enum(['direct', 'shared-store', 'local']),
  /** Whether the source kernel was shut down after the verified migration (`stopSource`). */
  sourceStopped: z.boolean(),
  /** What the plan was priced with for the target. */
  pricing: targetPricingSchema.optional()
});

/** What a finished migrate job answers. */
export type IMigrateJobResult = z.infer<typeof migrateJobResultSchema>;
