/**
 * Bundles under a prefix of an S3 bucket (AWS or any S3-compatible store). The kernel agent writes
 * payloads into a local staging folder; `publish` uploads them under `prefix/payloads/<id>/` with
 * multipart uploads (progress, abort); `commit` then puts `prefix/manifest.json` in one request,
 * which S3 applies atomically: readers see the previous manifest or the new one, never a mix.
 */
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createReadStream, createWriteStream, promises as fs } from 'fs';
import os from 'os';
import path from 'path';
import { Readable, Transform } from 'stream';
import { pipeline } from 'stream/promises';
import { childLocation, IS3Location, s3Key } from '../bundle/bundleUri';
import { BundleError, errorMessage } from '../bundle/errors';
import { MANIFEST_FILE, IManifest, PAYLOADS_DIR, splitPayloadPath } from '../bundle/manifest';
import { BaseStore } from './baseStore';
import { createS3Client, IResolvedS3Config, IS3Options, MIN_PART_SIZE, resolveS3Config } from './s3Config';
import { IFetchResult, IStoreOptions, ITransferOptions, ITransferResult } from './store';
import { elapsedMs, mapPool, now, ProgressMeter, throwIfCancelled } from './transfer';

/** Options of an S3 store: connection and transfer settings, and garbage collection. */
export type IS3StoreOptions = IS3Options & IStoreOptions;

/** An object listed under a prefix. */
interface IListedObject {
  key: string;
  size: number;
}

/** A bundle under `s3://bucket/prefix`. */
export class S3Store extends BaseStore {
  readonly kind = 's3' as const;
  declare readonly location: IS3Location;
  /** The client (shared with child stores). */
  readonly client: S3Client;
  /** The connection settings in force (undefined when a client was passed in). */
  readonly config: IResolvedS3Config | undefined;
  private readonly ownsClient: boolean;
  private readonly partSize: number;
  private readonly partConcurrency: number;
  private readonly fileConcurrency: number;
  private readonly tempDir: string;
  private readonly staging = new Map<string, string>();

  constructor(
    location: IS3Location,
    private readonly options: IS3StoreOptions = {},
    env: NodeJS.ProcessEnv = process.env
  ) {
    super(location, options);
    this.partSize = options.partSize ?? 8 * 1024 * 1024;
    if (!Number.isInteger(this.partSize) || this.partSize < MIN_PART_SIZE) {
      throw new BundleError(
        'invalid',
        `partSize must be a whole number of bytes of at least ${MIN_PART_SIZE} (5 MiB), got ${options.partSize}`
      );
    }
    this.partConcurrency = positive(options.partConcurrency, 4, 'partConcurrency');
    this.fileConcurrency = positive(options.fileConcurrency, 2, 'fileConcurrency');
    this.tempDir = options.tempDir ?? os.tmpdir();
    if (options.client) {
      this.client = options.client;
      this.config = undefined;
      this.ownsClient = false;
    } else {
      this.config = resolveS3Config(options, env);
      this.client = createS3Client(this.config);
      this.ownsClient = true;
    }
  }

  async stagingDir(checkpointId: string): Promise<string> {
    this.checkId(checkpointId);
    const known = this.staging.get(checkpointId);
    if (known !== undefined) {
      return known;
    }
    let dir: string;
    try {
      dir = await fs.mkdtemp(path.join(this.tempDir, `elastic-notebook-${checkpointId}-`));
    } catch (err) {
      throw new BundleError('io', `cannot create a staging folder in ${this.tempDir}: ${errorMessage(err)}`, {
        cause: err
      });
    }
    this.staging.set(checkpointId, dir);
    this.startWriting(checkpointId);
    return dir;
  }

  async publish(checkpointId: string, files: string[], options: ITransferOptions = {}): Promise<ITransferResult> {
    const names = this.stagedNames(checkpointId, files);
    const what = `uploading checkpoint ${checkpointId} to ${this.uri}`;
    throwIfCancelled(options.signal, what);
    const dir = this.staging.get(checkpointId);
    if (dir === undefined) {
      throw new BundleError(
        'invalid',
        `checkpoint ${checkpointId} has no staging folder in this store of ${this.uri}; call stagingDir first`
      );
    }
    const started = now();
    const sizes = await statStaged(dir, names, checkpointId);
    const total = sizes.reduce((sum, size) => sum + size, 0);
    const meter = new ProgressMeter(total, options.onProgress);
    // One switch stops everything: the caller's signal, or the first failed file.
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const tracker = new RequestTracker(this.client, stop.signal);
    try {
      await mapPool(
        names.map((name, i) => ({ name, size: sizes[i] })),
        this.fileConcurrency,
        async ({ name, size }) => {
          try {
            const key = this.key(`${PAYLOADS_DIR}/${checkpointId}/${name}`);
            await this.uploadFile(tracker.client, stop.signal, path.join(dir, name), key, size, loaded =>
              meter.update(name, loaded)
            );
          } catch (err) {
            stop.abort();
            throw err;
          }
        }
      );
    } catch (err) {
      // Nothing of a failed publish may stay visible: wait until no request is in flight, then
      // drop unfinished multipart uploads and every object already uploaded.
      stop.abort();
      await tracker.settle();
      await tracker.abortMultipartUploads(this.client);
      await this.removeFolder(checkpointId).catch(() => undefined);
      if (options.signal?.aborted) {
        throw new BundleError(
          'cancelled',
          `${what} was cancelled; nothing was committed and the previous checkpoint (if any) is intact`
        );
      }
      throw this.failure(err, what);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
    meter.finish();
    return { bytes: total, ms: elapsedMs(started) };
  }

  async abandon(checkpointId: string): Promise<void> {
    this.checkId(checkpointId);
    this.stopWriting(checkpointId);
    await this.dropStaging(checkpointId);
    try {
      if (!(await this.currentReferences()).has(checkpointId)) {
        await this.removeFolder(checkpointId);
      }
    } catch (err) {
      const failure = this.failure(err, `removing the payloads of checkpoint ${checkpointId} from ${this.uri}`);
      // No bucket: nothing was uploaded, so nothing is left to remove.
      if (failure.code !== 'not-found') {
        throw failure;
      }
    }
  }

  async fetch(manifest: IManifest, files: string[], options: ITransferOptions = {}): Promise<IFetchResult> {
    const list = this.fetchList(manifest, files);
    const what = `downloading checkpoint ${manifest.checkpointId} from ${this.uri}`;
    throwIfCancelled(options.signal, what);
    const started = now();
    // Sizes from a listing: a missing payload fails before anything is downloaded.
    const listed = new Map<string, Map<string, number>>();
    for (const { file } of list) {
      const { checkpointId } = splitPayloadPath(file)!;
      if (!listed.has(checkpointId)) {
        listed.set(checkpointId, await this.folderSizes(checkpointId));
      }
    }
    const sizes = list.map(({ file, bytes }) => {
      const { checkpointId, name } = splitPayloadPath(file)!;
      const size = listed.get(checkpointId)!.get(name);
      if (size === undefined) {
        throw new BundleError(
          'not-found',
          `payload ${file} is missing from ${this.uri}; the bundle is damaged or was replaced by a newer checkpoint`
        );
      }
      if (bytes !== null && size !== bytes) {
        throw new BundleError(
          'corrupt',
          `payload ${file} in ${this.uri} has ${size} bytes but the manifest says ${bytes}; the bundle is damaged`
        );
      }
      return size;
    });
    const total = sizes.reduce((sum, size) => sum + size, 0);
    const meter = new ProgressMeter(total, options.onProgress);
    let dir: string;
    try {
      dir = await fs.mkdtemp(path.join(this.tempDir, 'elastic-notebook-fetch-'));
    } catch (err) {
      const message = `cannot create a download folder in ${this.tempDir}: ${errorMessage(err)}`;
      throw new BundleError('io', message, { cause: err });
    }
    let removed = false;
    const cleanup = async (): Promise<void> => {
      if (!removed) {
        removed = true;
        await fs.rm(dir, { recursive: true, force: true });
      }
    };
    try {
      await mapPool(
        list.map(({ file }, i) => ({ file, size: sizes[i] })),
        this.fileConcurrency,
        async ({ file, size }) => {
          const target = path.join(dir, ...file.split('/'));
          await fs.mkdir(path.dirname(target), { recursive: true });
          const loaded = await this.downloadFile(file, target, options.signal, bytes => meter.update(file, bytes));
          if (loaded !== size) {
            throw new BundleError('corrupt', `payload ${file} from ${this.uri} had ${loaded} bytes, expected ${size}`);
          }
        }
      );
    } catch (err) {
      await cleanup();
      throw options.signal?.aborted ? new BundleError('cancelled', `${what} was cancelled`) : this.failure(err, what);
    }
    meter.finish();
    return { dir, bytes: total, ms: elapsedMs(started), cleanup };
  }

  async delete(): Promise<void> {
    const what = `deleting the checkpoint at ${this.uri}`;
    const manifestKey = this.key(MANIFEST_FILE);
    try {
      const hasManifest = await this.exists(manifestKey);
      const payloads = await this.listObjects(this.key(`${PAYLOADS_DIR}/`));
      if (!hasManifest && payloads.length === 0) {
        throw new BundleError('not-found', `no checkpoint at ${this.uri}: there is nothing to delete`);
      }
      if (hasManifest) {
        // The bundle stops existing here; what follows only frees space.
        await this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: manifestKey }));
      }
      await this.deleteKeys(payloads.map(o => o.key));
    } catch (err) {
      throw this.failure(err, what);
    }
  }

  async listChildren(): Promise<string[]> {
    try {
      return await this.listPrefixes(this.location.prefix === '' ? '' : `${this.location.prefix}/`);
    } catch (err) {
      throw this.failure(err, `listing ${this.uri}`);
    }
  }

  child(name: string): S3Store {
    return new S3Store(childLocation(this.location, name) as IS3Location, { ...this.options, client: this.client });
  }

  async close(): Promise<void> {
    if (this.ownsClient) {
      this.client.destroy();
    }
  }

  protected async readManifestText(): Promise<string> {
    const key = this.key(MANIFEST_FILE);
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: key }));
      if (response.Body === undefined) {
        throw new BundleError('io', `reading ${this.uri}/${MANIFEST_FILE} returned no body`);
      }
      return await response.Body.transformToString('utf8');
    } catch (err) {
      if (errorName(err) === 'NoSuchKey') {
        throw new BundleError('not-found', `no checkpoint at ${this.uri}: ${this.uri}/${MANIFEST_FILE} does not exist`);
      }
      throw this.failure(err, `reading ${this.uri}/${MANIFEST_FILE}`);
    }
  }

  protected async writeManifest(text: string): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.location.bucket,
          Key: this.key(MANIFEST_FILE),
          Body: text,
          ContentType: 'application/json'
        })
      );
    } catch (err) {
      throw this.failure(err, `writing ${this.uri}/${MANIFEST_FILE}`);
    }
  }

  protected async payloadFolders(): Promise<string[]> {
    return this.listPrefixes(this.key(`${PAYLOADS_DIR}/`));
  }

  protected async folderSizes(checkpointId: string): Promise<Map<string, number>> {
    const prefix = this.key(`${PAYLOADS_DIR}/${checkpointId}/`);
    let objects: IListedObject[];
    try {
      objects = await this.listObjects(prefix);
    } catch (err) {
      throw this.failure(err, `listing the payloads of checkpoint ${checkpointId} in ${this.uri}`);
    }
    return new Map(objects.map(o => [o.key.slice(prefix.length), o.size]));
  }

  protected async removeFolder(checkpointId: string): Promise<void> {
    const objects = await this.listObjects(this.key(`${PAYLOADS_DIR}/${checkpointId}/`));
    await this.deleteKeys(objects.map(o => o.key));
  }

  protected async afterCommit(checkpointId: string): Promise<void> {
    await this.dropStaging(checkpointId);
  }

  private key(relative: string): string {
    return s3Key(this.location, relative);
  }

  private async uploadFile(
    client: S3Client,
    stop: AbortSignal,
    source: string,
    key: string,
    size: number,
    onLoaded: (bytes: number) => void
  ): Promise<void> {
    // Each Upload gets its own controller: it takes over the signal's `onabort`.
    const controller = new AbortController();
    const onStop = (): void => controller.abort();
    stop.addEventListener('abort', onStop, { once: true });
    const body = createReadStream(source);
    try {
      const upload = new Upload({
        client,
        params: { Bucket: this.location.bucket, Key: key, Body: body, ContentLength: size },
        partSize: this.partSize,
        queueSize: this.partConcurrency,
        leavePartsOnError: false,
        abortController: controller
      });
      upload.on('httpUploadProgress', progress => onLoaded(progress.loaded ?? 0));
      await upload.done();
      onLoaded(size);
    } finally {
      stop.removeEventListener('abort', onStop);
      body.destroy();
    }
  }

  /** Stream one object into `target`; resolves with the number of bytes written. */
  private async downloadFile(
    relative: string,
    target: string,
    signal: AbortSignal | undefined,
    onLoaded: (bytes: number) => void
  ): Promise<number> {
    const key = this.key(relative);
    let response;
    try {
      response = await this.client.send(
        new GetObjectCommand({ Bucket: this.location.bucket, Key: key }),
        signal ? { abortSignal: signal } : {}
      );
    } catch (err) {
      if (errorName(err) === 'NoSuchKey') {
        throw new BundleError(
          'not-found',
          `payload ${relative} vanished from ${this.uri} during the download; ` +
            'the bundle was probably replaced by a newer checkpoint'
        );
      }
      throw err;
    }
    if (!(response.Body instanceof Readable)) {
      throw new BundleError('io', `downloading ${relative} from ${this.uri} returned no readable body`);
    }
    let loaded = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        loaded += chunk.length;
        onLoaded(loaded);
        callback(null, chunk);
      }
    });
    const streams = [response.Body, counter, createWriteStream(target)] as const;
    await (signal ? pipeline(...streams, { signal }) : pipeline(...streams));
    return loaded;
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key: key }));
      return true;
    } catch (err) {
      if (errorName(err) === 'NotFound' || errorName(err) === 'NoSuchKey') {
        return false;
      }
      throw err;
    }
  }

  /** Every object whose key starts with `prefix`. */
  private async listObjects(prefix: string): Promise<IListedObject[]> {
    const objects: IListedObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: prefix, ContinuationToken: token })
      );
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined) {
          objects.push({ key: object.Key, size: object.Size ?? 0 });
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return objects;
  }

  /** Names of the "folders" directly under `prefix` (which is '' or ends with '/'). */
  private async listPrefixes(prefix: string): Promise<string[]> {
    const names = new Set<string>();
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.location.bucket,
          Prefix: prefix,
          Delimiter: '/',
          ContinuationToken: token
        })
      );
      for (const common of page.CommonPrefixes ?? []) {
        const name = common.Prefix?.slice(prefix.length).replace(/\/$/, '');
        if (name) {
          names.add(name);
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return [...names].sort();
  }

  /** Delete objects, in batches; stores without multi-object delete get one request per key. */
  private async deleteKeys(keys: string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += 1000) {
      const batch = keys.slice(start, start + 1000);
      let errors: { Key?: string; Code?: string; Message?: string }[] | undefined;
      try {
        const result = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.location.bucket,
            Delete: { Objects: batch.map(Key => ({ Key })), Quiet: true }
          })
        );
        errors = result.Errors;
      } catch (err) {
        if (errorName(err) !== 'NotImplemented' && errorName(err) !== 'MethodNotAllowed') {
          throw err;
        }
        for (const Key of batch) {
          await this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key }));
        }
      }
      if (errors && errors.length > 0) {
        const [first] = errors;
        throw new BundleError(
          'io',
          `could not delete ${errors.length} object(s) of ${this.uri}, first s3://${this.location.bucket}/${first.Key}: ` +
            `${first.Code ?? 'error'} ${first.Message ?? ''}`.trim()
        );
      }
    }
  }

  private async dropStaging(checkpointId: string): Promise<void> {
    const dir = this.staging.get(checkpointId);
    if (dir !== undefined) {
      this.staging.delete(checkpointId);
      await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /** A one-line `BundleError` for an SDK or file-system failure while doing `what`. */
  private failure(err: unknown, what: string): BundleError {
    if (err instanceof BundleError) {
      return err;
    }
    const name = errorName(err);
    // The SDK wraps errors of other realms ("AWS SDK error wrapper for Error: connect ..."), so
    // the network code may only be in the message.
    const text = errorMessage(err).replace(/^AWS SDK error wrapper for /, '');
    const code = (err as { code?: string } | null)?.code ?? NETWORK_CODE.exec(text)?.[0];
    // With a client passed in, the endpoint is not known here.
    const endpoint = this.config === undefined ? 'the S3 service' : (this.config.endpoint ?? 'AWS S3');
    let message: string;
    if (name === 'AbortError') {
      return new BundleError('cancelled', `${what} was cancelled`, { cause: err });
    } else if (name === 'NoSuchBucket') {
      return new BundleError(
        'not-found',
        `${what}: the bucket '${this.location.bucket}' does not exist at ${endpoint}`,
        {
          cause: err
        }
      );
    } else if (name === 'CredentialsProviderError') {
      message =
        'no S3 credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or configure an AWS profile)';
    } else if (name === 'AccessDenied' || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch') {
      message = `access denied by ${endpoint} (${name}); check the S3 credentials and the bucket's permissions`;
    } else if (code !== undefined && NETWORK_CODE.test(code)) {
      message = `cannot reach ${endpoint} (${text})`;
    } else {
      message = name && name !== 'Error' ? `${name}: ${text}` : text;
    }
    return new BundleError('io', `${what}: ${message}`, { cause: err });
  }
}

/**
 * Wraps a client so that every request of one publish carries its abort signal and can be awaited
 * after an abort (so that cleanup runs after the last request), and remembers the multipart
 * uploads it created. AbortMultipartUpload requests go out unaborted: they are the cleanup.
 */
class RequestTracker {
  readonly client: S3Client;
  private readonly pending = new Set<Promise<void>>();
  private readonly uploads: { Bucket: string; Key: string; UploadId: string }[] = [];

  constructor(inner: S3Client, signal: AbortSignal) {
    const send = (command: unknown, options?: Record<string, unknown>): Promise<unknown> => {
      const abortable = !(command instanceof AbortMultipartUploadCommand);
      const request = (inner.send as (c: unknown, o?: unknown) => Promise<unknown>).call(
        inner,
        command,
        abortable ? { ...options, abortSignal: signal } : options
      );
      const settled: Promise<void> = request
        .then(
          result => {
            const uploadId = (result as { UploadId?: string } | undefined)?.UploadId;
            const { Bucket, Key } = (command as CreateMultipartUploadCommand).input;
            if (command instanceof CreateMultipartUploadCommand && uploadId && Bucket && Key) {
              this.uploads.push({ Bucket, Key, UploadId: uploadId });
            }
          },
          () => undefined
        )
        .then(() => {
          this.pending.delete(settled);
        });
      this.pending.add(settled);
      return request;
    };
    this.client = new Proxy(inner, {
      get: (target, property, receiver) => (property === 'send' ? send : Reflect.get(target, property, receiver))
    });
  }

  /** Resolve once no request of this publish is in flight. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) {
      await Promise.all([...this.pending]);
    }
  }

  /** Abort the multipart uploads this publish created (best effort: some stores do not support it). */
  async abortMultipartUploads(client: S3Client): Promise<void> {
    for (const upload of this.uploads.splice(0)) {
      await client.send(new AbortMultipartUploadCommand(upload)).catch(() => undefined);
    }
  }
}

/** Sizes of the staged files, in order; a missing one is 'not-found'. */
async function statStaged(dir: string, names: string[], checkpointId: string): Promise<number[]> {
  const sizes: number[] = [];
  for (const name of names) {
    const stat = await fs.stat(path.join(dir, name)).catch(() => null);
    if (stat === null || !stat.isFile()) {
      throw new BundleError(
        'not-found',
        `payload payloads/${checkpointId}/${name} is missing from the staging folder ${dir}; ` +
          'the kernel agent did not write it'
      );
    }
    sizes.push(stat.size);
  }
  return sizes;
}

/** Error codes of a store that cannot be reached. */
const NETWORK_CODE = /\b(ECONNREFUSED|ENOTFOUND|ECONNRESET|ETIMEDOUT|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)\b/;

function errorName(err: unknown): string | undefined {
  return (err as { name?: string } | null)?.name;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result < 1) {
    throw new BundleError('invalid', `${name} must be a positive whole number, got ${value}`);
  }
  return result;
}
