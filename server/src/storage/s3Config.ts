/**
 * Configuration of S3 access: an options object, falling back to the standard AWS environment
 * variables, falling back to the AWS SDK's default credential chain (shared config files, SSO,
 * instance roles).
 *
 * | setting         | option           | environment                                   | default               |
 * | --------------- | ---------------- | --------------------------------------------- | --------------------- |
 * | endpoint        | `endpoint`       | `AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL` | AWS S3                |
 * | region          | `region`         | `AWS_REGION`, then `AWS_DEFAULT_REGION`       | `us-east-1`           |
 * | credentials     | `credentials`    | `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY`  | SDK default chain     |
 * |                 |                  | (+ `AWS_SESSION_TOKEN`)                       |                       |
 * | path-style URLs | `forcePathStyle` | -                                             | on with an endpoint   |
 */
import { S3Client } from '@aws-sdk/client-s3';
import { BundleError } from '../bundle/errors';

/** Static S3 credentials. */
export interface IS3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** How to reach S3 or an S3-compatible store, and how to transfer. */
export interface IS3Options {
  /** An existing client to use; the connection options below are then ignored and `close()` leaves it open. */
  client?: S3Client;
  /** Endpoint URL of an S3-compatible store (`http://127.0.0.1:9000`); AWS S3 when absent. */
  endpoint?: string;
  region?: string;
  credentials?: IS3Credentials;
  /** Path-style URLs (`endpoint/bucket/key`), which most S3-compatible stores need. */
  forcePathStyle?: boolean;
  /** Multipart part size in bytes: at least 5 MiB (S3's minimum); default 8 MiB. */
  partSize?: number;
  /** Parts of one file uploaded at once; default 4. */
  partConcurrency?: number;
  /** Files uploaded or downloaded at once; default 2. */
  fileConcurrency?: number;
  /** Parent of the temporary staging and download folders; default the OS temporary folder. */
  tempDir?: string;
}

/** The connection settings in force after applying the options and the environment. */
export interface IResolvedS3Config {
  endpoint: string | undefined;
  region: string;
  /** Undefined: the SDK's default credential chain. */
  credentials: IS3Credentials | undefined;
  forcePathStyle: boolean;
}

/** Smallest multipart part S3 accepts (except for the last part). */
export const MIN_PART_SIZE = 5 * 1024 * 1024;

/** Apply the fallbacks of the table above; malformed settings are `BundleError` 'invalid'. */
export function resolveS3Config(options: IS3Options = {}, env: NodeJS.ProcessEnv = process.env): IResolvedS3Config {
  const nonEmpty = (value: string | undefined): string | undefined =>
    value && value.trim() !== '' ? value.trim() : undefined;
  const endpoint = nonEmpty(options.endpoint) ?? nonEmpty(env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(env.AWS_ENDPOINT_URL);
  if (endpoint !== undefined) {
    let url: URL | null = null;
    try {
      url = new URL(endpoint);
    } catch {
      url = null;
    }
    if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new BundleError('invalid', `the S3 endpoint '${endpoint}' is not an http:// or https:// URL`);
    }
  }
  const region =
    nonEmpty(options.region) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? 'us-east-1';
  let credentials = options.credentials;
  if (credentials === undefined) {
    const key = nonEmpty(env.AWS_ACCESS_KEY_ID);
    const secret = nonEmpty(env.AWS_SECRET_ACCESS_KEY);
    if ((key === undefined) !== (secret === undefined)) {
      const [set, unset] = key
        ? ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']
        : ['AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID'];
      throw new BundleError('invalid', `${set} is set but ${unset} is not; set both or neither`);
    }
    if (key !== undefined && secret !== undefined) {
      const sessionToken = nonEmpty(env.AWS_SESSION_TOKEN);
      credentials = { accessKeyId: key, secretAccessKey: secret, ...(sessionToken ? { sessionToken } : {}) };
    }
  } else if (!credentials.accessKeyId || !credentials.secretAccessKey) {
    throw new BundleError('invalid', 'S3 credentials need both accessKeyId and secretAccessKey');
  }
  return { endpoint, region, credentials, forcePathStyle: options.forcePathStyle ?? endpoint !== undefined };
}

/** A client for the resolved settings. */
export function createS3Client(config: IResolvedS3Config): S3Client {
  return new S3Client({
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    ...(config.endpoint !== undefined
      ? {
          endpoint: config.endpoint,
          // S3-compatible stores often reject the SDK's default extra integrity checksums; payloads
          // carry their own checksums, verified when loaded.
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const
        }
      : {}),
    ...(config.credentials !== undefined ? { credentials: config.credentials } : {})
  });
}
