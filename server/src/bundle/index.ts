/**
 * Checkpoint bundles (docs/checkpoint.md sections 1-2): the manifest schema, bundle URIs,
 * checkpoint ids and the errors of the bundle layer. Storage lives in server/src/storage.
 */
export { BundleError, isBundleError, errorMessage } from './errors';
export type { BundleErrorCode } from './errors';
export { newCheckpointId, isCheckpointId, checkpointTime } from './checkpointId';
export { parseBundleUri, childLocation, s3Key } from './bundleUri';
export type { BundleLocation, ILocalLocation, IS3Location } from './bundleUri';
export {
  FORMAT_VERSION,
  BUNDLE_FORMAT,
  MANIFEST_FILE,
  PAYLOADS_DIR,
  manifestSchema,
  parseManifest,
  parseManifestText,
  serializeManifest,
  newerFormatMessage,
  manifestFiles,
  referencedCheckpoints,
  payloadBytes,
  copiedVariables,
  payloadPath,
  splitPayloadPath
} from './manifest';
export type {
  IManifest,
  ManifestInput,
  ManifestGroup,
  IManifestFile,
  IManifestGroup,
  IManifestFingerprint,
  IManifestSource
} from './manifest';
