/**
 * The request schemas the companion's app and routes validate with, from the wire contract
 * (`@elastic-notebook/protocol/schemas`), where every shape is defined once.
 */
export {
  checkpointRequestSchema,
  describeIssues,
  executionRecordSchema,
  idSchema,
  listQuerySchema,
  objectiveSchema,
  planRequestSchema,
  recordBatchSchema,
  restoreRequestSchema,
  uriQuerySchema
} from '@elastic-notebook/protocol/schemas';
export type { RecordBatch } from '@elastic-notebook/protocol/schemas';
