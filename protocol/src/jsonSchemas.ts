/**
 * The wire shapes as JSON Schema (draft 2020-12), generated from the zod schemas by
 * `z.toJSONSchema`: what the Python tests check the kernel agent's records and replies against,
 * so that the agent cannot drift from the contract the companion validates. Refinements
 * (consecutive seqs, a variable in one group only) are checked by the companion, not here.
 */
import { z } from 'zod';
import * as schemas from './schemas/index';

/** The schemas written to `lib/json-schema/<name>.json`, by file name. */
export const JSON_SCHEMA_SOURCES: Record<string, z.ZodType> = {
  'record-batch': schemas.recordBatchSchema,
  'execution-record': schemas.executionRecordSchema,
  'next-seq': schemas.nextSeqSchema,
  'error-body': schemas.errorBodySchema,
  'history-graph': schemas.historyGraphSchema,
  'plan-response': schemas.planResponseSchema,
  marks: schemas.marksSchema,
  job: schemas.jobSchema,
  'checkpoint-list': schemas.checkpointListSchema,
  'checkpoint-job-result': schemas.checkpointJobResultSchema,
  'restore-job-result': schemas.restoreJobResultSchema,
  'machine-info': schemas.machineInfoSchema,
  'target-list': schemas.targetListSchema,
  'migrate-job-result': schemas.migrateJobResultSchema,
  ...Object.fromEntries(
    Object.entries(schemas.agentReplySchemas).map(([name, schema]) => [`agent-reply-${name}`, schema])
  )
};

/**
 * One schema as JSON Schema, as a producer must write it: fields with a default may be left out
 * (`io: 'input'`), fields the contract does not name pass where the zod schema lets them through.
 */
export function toJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
