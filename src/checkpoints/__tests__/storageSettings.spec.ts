import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import { DEFAULT_STORAGE, s3Body, s3Query, storageSettings } from '../storageSettings';

const settingsWith = (composite: Record<string, unknown>) => ({ composite }) as unknown as ISettingRegistry.ISettings;

describe('storage settings', () => {
  it('reads trimmed strings and treats anything else as unset', () => {
    expect(
      storageSettings(settingsWith({ checkpointRoot: '  s3://bucket/x ', s3Endpoint: 42, s3Region: null }))
    ).toEqual({ checkpointRoot: 's3://bucket/x', s3Endpoint: '', s3Region: '' });
    expect(storageSettings(settingsWith({}))).toEqual(DEFAULT_STORAGE);
  });

  it('sends S3 settings only when some are set, never credentials', () => {
    expect(s3Body(DEFAULT_STORAGE)).toBeUndefined();
    expect(s3Query(DEFAULT_STORAGE)).toEqual({});
    const endpointOnly = { ...DEFAULT_STORAGE, s3Endpoint: 'http://127.0.0.1:9000' };
    expect(s3Body(endpointOnly)).toEqual({ endpoint: 'http://127.0.0.1:9000' });
    expect(s3Query(endpointOnly)).toEqual({ s3Endpoint: 'http://127.0.0.1:9000' });
    const both = { ...endpointOnly, s3Region: 'eu-west-1' };
    expect(s3Body(both)).toEqual({ endpoint: 'http://127.0.0.1:9000', region: 'eu-west-1' });
    expect(s3Query(both)).toEqual({ s3Endpoint: 'http://127.0.0.1:9000', s3Region: 'eu-west-1' });
  });
});
