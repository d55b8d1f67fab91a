/**
 * Bundle storage (docs/checkpoint.md section 1): the store interface, the local-folder store (the
 * default) and the S3 store, `openStore` to pick one by URI, and checkpoint listings.
 */
export type {
  IBundleStore,
  ITransferOptions,
  ITransferResult,
  IFetchResult,
  ICommitResult,
  IStoreOptions
} from './store';
export { DEFAULT_STALE_AFTER_MS } from './store';
export { LocalStore } from './localStore';
export { S3Store } from './s3Store';
export type { IS3StoreOptions } from './s3Store';
export { resolveS3Config, createS3Client, MIN_PART_SIZE } from './s3Config';
export type { IS3Options, IS3Credentials, IResolvedS3Config } from './s3Config';
export { openStore } from './openStore';
export type { IOpenStoreOptions } from './openStore';
export { listCheckpoints, describeCheckpoint, summarize } from './catalog';
export type { ICheckpointSummary, IUnreadableCheckpoint, CheckpointListEntry, ICheckpointDescription } from './catalog';
