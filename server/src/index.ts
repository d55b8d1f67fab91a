/** Library exports of the companion server. */
export * from './ahg/index';
export { createCompanion } from './companion/createCompanion';
export type { ICompanion, ICompanionOptions } from './companion/createCompanion';
export { HttpError } from './http';
export { ingestToken, SECRET_HEADER } from './auth';
export { describeIssues, executionRecordSchema, idSchema, recordBatchSchema } from './schemas';
export type { RecordBatch } from './schemas';
export * from './planner/index';
export { TargetRegistry, THIS_MACHINE } from './targets/targetRegistry';
export type { IResolvedTarget } from './targets/targetRegistry';
export { measuredBandwidth, recordBandwidth } from './targets/bandwidthLog';
