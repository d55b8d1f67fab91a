/**
 * The bodies and queries of the companion's plan, checkpoint, restore and listing requests
 * (docs/internals.md section 5), as the routes validate them. Types: `z.input` is what a caller
 * may send, `z.output` what a route works with (defaults filled in).
 */
import { z } from 'zod';
import { DEFAULT_OBJECTIVE } from '../objectives';
import { marksSchema } from './marks';
import { measurementsSchema } from './measurements';
import { objectiveSchema } from './objective';

/** S3 settings that are not secrets; credentials stay in the server's environment. */
export const s3Schema = z
  .object({
    endpoint: z
      .string()
      .regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL')
      .optional(),
    region: z
      .string()
      .regex(/^[a-z0-9-]{1,64}$/, 'must be a region name such as us-east-1')
      .optional()
  })
  .strict();

/** A bundle's URI: a folder or an `s3://` URI. */
export const uriSchema = z.string().trim().min(1, 'must not be empty').max(4096);

/** What plans and checkpoints are asked for: the objective and the notebook's marks. */
const planChoices = {
  objective: objectiveSchema.default(DEFAULT_OBJECTIVE),
  marks: marksSchema.optional()
};

/** The body of a plan request (`POST /api/kernels/:kernelId/plan`); every field is optional. */
export const planRequestSchema = z.object({ ...planChoices, measurements: measurementsSchema.optional() }).strict();

/** A plan request as a caller sends it. */
export type PlanRequestBody = z.input<typeof planRequestSchema>;

/** A validated plan request. */
export type PlanRequest = z.output<typeof planRequestSchema>;

/** The body of `POST /api/kernels/:kernelId/checkpoints`. */
export const checkpointRequestSchema = z
  .object({
    /** The bundle to write; default a new folder under `root`. */
    uri: uriSchema.optional(),
    /** The root for a new bundle; empty or absent: the configured root. */
    root: z.string().max(4096).optional(),
    ...planChoices,
    /** The notebook's path relative to the Jupyter root (JupyterLab's `context.path`). */
    notebookPath: z.string().max(4096).optional(),
    kernelName: z.string().max(256).optional(),
    s3: s3Schema.optional()
  })
  .strict();

/** A checkpoint request as a caller sends it. */
export type CheckpointRequestBody = z.input<typeof checkpointRequestSchema>;

/** A validated checkpoint request. */
export type CheckpointRequest = z.output<typeof checkpointRequestSchema>;

/** The body of `POST /api/kernels/:kernelId/restore`. */
export const restoreRequestSchema = z
  .object({
    uri: uriSchema,
    /** The user confirmed restoring a bundle from outside the checkpoint root (bundles hold pickles). */
    trust: z.boolean().optional(),
    s3: s3Schema.optional()
  })
  .strict();

/** A restore request as a caller sends it. */
export type RestoreRequestBody = z.input<typeof restoreRequestSchema>;

/** The query of `GET checkpoints`. */
export const listQuerySchema = z.object({
  root: z.string().max(4096).optional(),
  s3Endpoint: s3Schema.shape.endpoint,
  s3Region: s3Schema.shape.region
});

/** The query of `GET checkpoints/describe` and `DELETE checkpoints`. */
export const uriQuerySchema = listQuerySchema.omit({ root: true }).extend({ uri: uriSchema });
