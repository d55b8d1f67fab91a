/**
 * Where checkpoints go, from the panel's settings (schema/panel.json): the checkpoint root and
 * the S3 endpoint and region. S3 credentials are never settings: they stay in the server's
 * environment.
 */
import { ISettingRegistry } from '@jupyterlab/settingregistry';

/** The storage settings. */
export interface IStorageSettings {
  /** Folder or s3:// URI; empty: the server's default (its own checkpoints folder). */
  checkpointRoot: string;
  /** S3-compatible endpoint URL; empty: AWS or the server's environment. */
  s3Endpoint: string;
  /** S3 region; empty: the server's environment or us-east-1. */
  s3Region: string;
}

/** The defaults: everything from the server. */
export const DEFAULT_STORAGE: IStorageSettings = { checkpointRoot: '', s3Endpoint: '', s3Region: '' };

/** The storage settings in `settings` (non-strings count as unset). */
export function storageSettings(settings: ISettingRegistry.ISettings): IStorageSettings {
  const text = (key: keyof IStorageSettings) => {
    const value = settings.composite[key];
    return typeof value === 'string' ? value.trim() : '';
  };
  return { checkpointRoot: text('checkpointRoot'), s3Endpoint: text('s3Endpoint'), s3Region: text('s3Region') };
}

/** The `s3` field of a request body, or undefined when nothing is set. */
export function s3Body(storage: IStorageSettings): { endpoint?: string; region?: string } | undefined {
  if (!storage.s3Endpoint && !storage.s3Region) {
    return undefined;
  }
  return {
    ...(storage.s3Endpoint ? { endpoint: storage.s3Endpoint } : {}),
    ...(storage.s3Region ? { region: storage.s3Region } : {})
  };
}

/** The S3 query parameters of a GET or DELETE. */
export function s3Query(storage: IStorageSettings): Record<string, string> {
  return {
    ...(storage.s3Endpoint ? { s3Endpoint: storage.s3Endpoint } : {}),
    ...(storage.s3Region ? { s3Region: storage.s3Region } : {})
  };
}
