/** Open the store of a bundle URI: a local folder (the default) or an S3 prefix. */
import { ILocalLocation, IS3Location, parseBundleUri } from '../bundle/bundleUri';
import { LocalStore } from './localStore';
import { IS3Options } from './s3Config';
import { S3Store } from './s3Store';
import { IBundleStore, IStoreOptions } from './store';

/** How to open a store. */
export interface IOpenStoreOptions extends IStoreOptions {
  /** Folder that relative paths are resolved against; default `process.cwd()`. */
  cwd?: string;
  /** S3 connection and transfer settings (see `resolveS3Config` for the environment fallbacks). */
  s3?: IS3Options;
  /** Environment for the S3 fallbacks; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/**
 * The store of the bundle at `uri` (a folder path or `s3://bucket/prefix`). Nothing is read or
 * created until a method is called. Throws `BundleError` 'invalid-uri' for a malformed URI and
 * 'invalid' for malformed S3 settings.
 */
export function openStore(uri: string, options: IOpenStoreOptions = {}): IBundleStore {
  const location = parseBundleUri(uri, options.cwd);
  const storeOptions: IStoreOptions = options.staleAfterMs !== undefined ? { staleAfterMs: options.staleAfterMs } : {};
  if (location.kind === 'local') {
    return new LocalStore(location as ILocalLocation, storeOptions);
  }
  return new S3Store(location as IS3Location, { ...options.s3, ...storeOptions }, options.env ?? process.env);
}
