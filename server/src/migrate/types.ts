/**
 * The bundle layer's types as checkpoint and restore use them (server/src/bundle, server/src/storage).
 */
export type { IBundleStore as IMigrationStore, ITransferOptions } from '../storage/store';
export type { IManifest as IBundleManifest, ManifestInput as IBundleManifestInput } from '../bundle/manifest';
