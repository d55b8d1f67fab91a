/** Library exports of the companion server. */
export * from './ahg/index';
export { createApp } from './app';
export type { IAppOptions } from './app';
export { ingestToken, SECRET_HEADER } from './auth';
export { describeIssues, executionRecordSchema, idSchema, recordBatchSchema } from './schemas';
export type { RecordBatch } from './schemas';
export * from './planner/index';
