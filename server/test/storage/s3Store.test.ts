/**
 * The S3 store against a real S3-compatible server (s3rver, in process, on a free loopback port):
 * multipart publish with progress, cancellation that leaves nothing visible, commit, fetch,
 * garbage collection, listings, deletion, errors and configuration.
 */
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { promises as fs } from 'fs';
import net from 'net';
import path from 'path';
import { BundleError, newCheckpointId, parseBundleUri } from '../../src/bundle';
import type { IS3Location } from '../../src/bundle';
import {
  describeCheckpoint,
  IS3StoreOptions,
  listCheckpoints,
  MIN_PART_SIZE,
  openStore,
  resolveS3Config,
  S3Store
} from '../../src/storage';
import {
  buildManifest,
  entries,
  fileChecksum,
  idAt,
  makeTemp,
  rejection,
  removeTemp,
  SMALL_FILES,
  stagePayloads,
  writeCheckpoint
} from './helpers';

jest.setTimeout(120_000);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
};

const BUCKET = 'bundles';
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const BIG = [
  { name: 'g0.pkl', size: 12 * 1024 * 1024 + 123 },
  { name: 'history.jsonl', size: 300 },
  { name: 'random.pkl', size: 0 }
];
const HOUR = 60 * 60 * 1000;

let temp: string;
let server: InstanceType<typeof S3rver>;
let endpoint: string;
/** A client of the test's own, to look at the bucket behind the store's back. */
let admin: S3Client;
/** Names of the commands the store's client sent, in order. */
let commands: string[];
let client: S3Client;
let prefixCounter = 0;

beforeAll(async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  temp = await makeTemp('s3');
  server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: path.join(temp, 'server'),
    configureBuckets: [{ name: BUCKET }]
  });
  const { port } = await server.run();
  endpoint = `http://127.0.0.1:${port}`;
  admin = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS });
  client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS });
  client.middlewareStack.add(
    (next, context) => args => {
      commands.push(context.commandName as string);
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' }
  );
});

afterAll(async () => {
  admin?.destroy();
  client?.destroy();
  await server?.close();
  await removeTemp(temp);
});

beforeEach(() => {
  commands = [];
});

/** A fresh prefix per test, so that tests do not see each other's objects. */
function freshUri(): string {
  prefixCounter += 1;
  return `s3://${BUCKET}/t${prefixCounter}/bundle`;
}

/** A store on `uri` with the recording client, 5 MiB parts and temporary folders under the test's. */
function s3Store(uri: string, options: IS3StoreOptions = {}): S3Store {
  return new S3Store(parseBundleUri(uri) as IS3Location, {
    client,
    partSize: MIN_PART_SIZE,
    tempDir: path.join(temp, 'local'),
    ...options
  });
}

/** Keys under an S3 URI's prefix, relative to it, sorted. */
async function keysUnder(uri: string): Promise<string[]> {
  const { bucket, prefix } = parseBundleUri(uri) as IS3Location;
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await admin.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/`, ContinuationToken: token })
    );
    keys.push(...(page.Contents ?? []).map(o => o.Key!.slice(prefix.length + 1)));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

async function put(uri: string, relative: string, body: string): Promise<void> {
  const { bucket, prefix } = parseBundleUri(uri) as IS3Location;
  await admin.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${relative}`, Body: body }));
}

beforeAll(async () => {
  await fs.mkdir(path.join(temp, 'local'), { recursive: true });
});

describe('publishing', () => {
  it('uploads a large payload in several parts with progress, then commits the manifest', async () => {
    const uri = freshUri();
    const store = s3Store(uri);
    const id = newCheckpointId();
    const written = await stagePayloads(store, id, BIG);
    const staging = await store.stagingDir(id);
    expect(path.dirname(staging)).toBe(path.join(temp, 'local'));
    const progress: [number, number][] = [];
    const total = BIG.reduce((s, f) => s + f.size, 0);
    const result = await store.publish(
      id,
      written.map(f => `payloads/${id}/${f.name}`),
      { onProgress: (done, all) => progress.push([done, all]) }
    );
    expect(result.bytes).toBe(total);
    // The 12 MiB file went up as three 5 MiB parts.
    expect(commands.filter(c => c === 'CreateMultipartUploadCommand')).toHaveLength(1);
    expect(commands.filter(c => c === 'UploadPartCommand')).toHaveLength(3);
    expect(commands).toContain('CompleteMultipartUploadCommand');
    expect(progress.length).toBeGreaterThanOrEqual(4);
    expect(progress.every(([, all]) => all === total)).toBe(true);
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i][0]).toBeGreaterThanOrEqual(progress[i - 1][0]);
    }
    expect(progress[progress.length - 1]).toEqual([total, total]);
    // Published is not committed: no manifest, not listed.
    expect(await keysUnder(uri)).toEqual(written.map(f => `payloads/${id}/${f.name}`).sort());
    expect((await rejection(store.readManifest())).code).toBe('not-found');

    const manifest = buildManifest(id, written);
    const commit = await store.commit(manifest);
    expect(commit).toEqual({ checkpointId: id, removed: [], kept: [], warnings: [] });
    expect(commands.filter(c => c === 'PutObjectCommand').length).toBeGreaterThanOrEqual(1);
    expect(await keysUnder(uri)).toContain('manifest.json');
    expect(await store.readManifest()).toEqual({ ...manifest, marks: {} });
    // The staging folder is gone after the commit.
    expect(await entries(path.join(temp, 'local'))).not.toContain(path.basename(staging));
  });

  it('cancelled through its AbortSignal mid-upload, it leaves nothing visible and the previous bundle intact', async () => {
    const uri = freshUri();
    const store = s3Store(uri, { partConcurrency: 1, fileConcurrency: 1 });
    const previous = newCheckpointId(new Date(Date.now() - 1000));
    await writeCheckpoint(store, previous);
    const before = await keysUnder(uri);

    const id = newCheckpointId();
    const written = await stagePayloads(store, id, [...BIG].reverse());
    const controller = new AbortController();
    const progress: number[] = [];
    const err = await rejection(
      store.publish(
        id,
        written.map(f => `payloads/${id}/${f.name}`),
        {
          signal: controller.signal,
          onProgress: done => {
            progress.push(done);
            // The small files are done, and the first part of the large one.
            if (done >= 300 + MIN_PART_SIZE) {
              controller.abort();
            }
          }
        }
      )
    );
    expect(err.code).toBe('cancelled');
    expect(err.message).toBe(
      `uploading checkpoint ${id} to ${uri} was cancelled; nothing was committed and the previous checkpoint (if any) is intact`
    );
    expect(progress.some(done => done >= 300 + MIN_PART_SIZE)).toBe(true);
    expect(commands).toContain('UploadPartCommand');
    expect(commands).not.toContain('CompleteMultipartUploadCommand');
    expect(await keysUnder(uri)).toEqual(before);
    expect((await store.readManifest()).checkpointId).toBe(previous);
    expect((await listCheckpoints(uri.replace(/\/bundle$/, ''), { s3: { client } })).map(e => e.uri)).toEqual([uri]);
    await store.abandon(id);
  });

  it('cancelled before it starts, or on a fresh prefix, nothing appears at all', async () => {
    const uri = freshUri();
    const store = s3Store(uri, { partConcurrency: 1 });
    const id = newCheckpointId();
    const written = await stagePayloads(store, id, BIG);
    const files = written.map(f => `payloads/${id}/${f.name}`);
    const controller = new AbortController();
    controller.abort();
    expect((await rejection(store.publish(id, files, { signal: controller.signal }))).code).toBe('cancelled');
    const late = new AbortController();
    const err = await rejection(store.publish(id, files, { signal: late.signal, onProgress: () => late.abort() }));
    expect(err.code).toBe('cancelled');
    expect(await keysUnder(uri)).toEqual([]);
    expect(await listCheckpoints(uri.replace(/\/bundle$/, ''), { s3: { client } })).toEqual([]);
  });

  it('refuses unknown staging, foreign files and a missing bucket precisely', async () => {
    const uri = freshUri();
    const store = s3Store(uri);
    const id = newCheckpointId();
    let err = await rejection(store.publish(id, [`payloads/${id}/g0.pkl`]));
    expect([err.code, err.message]).toEqual([
      'invalid',
      `checkpoint ${id} has no staging folder in this store of ${uri}; call stagingDir first`
    ]);
    const written = await stagePayloads(store, id);
    err = await rejection(store.publish(id, ['manifest.json']));
    expect(err.code).toBe('invalid');
    err = await rejection(store.publish(id, [`payloads/${id}/missing.pkl`]));
    expect(err.code).toBe('not-found');
    expect(err.message).toContain(`payload payloads/${id}/missing.pkl is missing from the staging folder`);

    const nowhere = s3Store('s3://no-such-bucket/x');
    const staged = await stagePayloads(nowhere, id);
    err = await rejection(
      nowhere.publish(
        id,
        staged.map(f => `payloads/${id}/${f.name}`)
      )
    );
    expect(err.code).toBe('not-found');
    expect(err.message).toContain(
      `uploading checkpoint ${id} to s3://no-such-bucket/x: the bucket 'no-such-bucket' does not exist`
    );
    await nowhere.abandon(id);
    expect(written).toHaveLength(SMALL_FILES.length);
  });
});

describe('reading', () => {
  it('fetches payloads into a temporary folder by streaming, and cleans it up', async () => {
    const uri = freshUri();
    const store = s3Store(uri);
    const id = newCheckpointId();
    await writeCheckpoint(store, id, BIG);
    const manifest = await store.readManifest();
    const files = [manifest.history.file, manifest.random.file, manifest.groups[0].file!];
    const progress: number[] = [];
    const fetched = await store.fetch(manifest, files, { onProgress: done => progress.push(done) });
    expect(path.dirname(fetched.dir)).toBe(path.join(temp, 'local'));
    expect(fetched.bytes).toBe(BIG.reduce((s, f) => s + f.size, 0));
    expect(progress[progress.length - 1]).toBe(fetched.bytes);
    // Streamed in chunks, not one buffer.
    expect(progress.length).toBeGreaterThan(3);
    expect(await fileChecksum(path.join(fetched.dir, manifest.groups[0].file!))).toBe(manifest.groups[0].checksum);
    expect(await fileChecksum(path.join(fetched.dir, manifest.random.file))).toBe(manifest.random.checksum);
    await fetched.cleanup();
    await fetched.cleanup();
    expect(await entries(path.join(temp, 'local'))).not.toContain(path.basename(fetched.dir));
  });

  it('a cancelled fetch removes what it downloaded', async () => {
    const uri = freshUri();
    const tempDir = path.join(temp, 'fetch-cancel');
    await fs.mkdir(tempDir);
    const store = s3Store(uri, { tempDir });
    const id = newCheckpointId();
    await writeCheckpoint(store, id, BIG);
    const manifest = await store.readManifest();
    const controller = new AbortController();
    const err = await rejection(
      store.fetch(manifest, [manifest.groups[0].file!], {
        signal: controller.signal,
        onProgress: done => done > 0 && controller.abort()
      })
    );
    expect(err.code).toBe('cancelled');
    expect(await entries(tempDir)).toEqual([]);
  });

  it('reports missing payloads before downloading, and bad manifests precisely', async () => {
    const uri = freshUri();
    const store = s3Store(uri);
    let err = await rejection(store.readManifest());
    expect([err.code, err.message]).toEqual([
      'not-found',
      `no checkpoint at ${uri}: ${uri}/manifest.json does not exist`
    ]);
    err = await rejection(s3Store('s3://no-such-bucket/p').readManifest());
    expect(err.code).toBe('not-found');
    expect(err.message).toBe(
      "reading s3://no-such-bucket/p/manifest.json: the bucket 'no-such-bucket' does not exist at the S3 service"
    );

    const id = newCheckpointId();
    await writeCheckpoint(store, id);
    const manifest = await store.readManifest();
    const { bucket, prefix } = parseBundleUri(uri) as IS3Location;
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/payloads/${id}/g1.pkl`, Body: 'xx' }));
    err = await rejection(store.fetch(manifest, [`payloads/${id}/g1.pkl`]));
    expect([err.code, err.message]).toEqual([
      'corrupt',
      `payload payloads/${id}/g1.pkl in ${uri} has 2 bytes but the manifest says 1200; the bundle is damaged`
    ]);
    expect(await store.missingFiles(manifest)).toEqual([`payloads/${id}/g1.pkl`]);
    const other = newCheckpointId(new Date(0));
    err = await rejection(store.fetch(manifest, [`payloads/${other}/g0.pkl`]));
    expect(err.code).toBe('not-found');

    await put(uri, 'manifest.json', '{"format":');
    err = await rejection(store.readManifest());
    expect(err.code).toBe('corrupt');
    expect(err.message).toMatch(new RegExp(`^${uri}: manifest.json is not valid JSON`));
    await put(uri, 'manifest.json', JSON.stringify({ format: 'elastic-notebook-bundle', formatVersion: 2 }));
    err = await rejection(store.readManifest());
    expect([err.code, err.message]).toEqual([
      'newer-format',
      `${uri}: bundle format version 2 is newer than this Elastic Notebook supports (1); upgrade Elastic Notebook to restore it`
    ]);
  });
});

describe('garbage collection, listing and deletion', () => {
  it('drops the previous payloads and stale leftovers, keeps recent ones', async () => {
    const uri = freshUri();
    const store = s3Store(uri);
    const first = newCheckpointId(new Date(Date.now() - 2000));
    await writeCheckpoint(store, first);
    const stale = idAt(new Date(Date.now() - 7 * HOUR), 'aaaaaaaa');
    const recent = idAt(new Date(Date.now() - HOUR), 'bbbbbbbb');
    await put(uri, `payloads/${stale}/g0.pkl`, 'half');
    await put(uri, `payloads/${recent}/g0.pkl`, 'half');
    await put(uri, 'payloads/notes/readme.txt', 'mine');
    const second = newCheckpointId();
    const { commit } = await writeCheckpoint(store, second);
    expect(commit.removed.sort()).toEqual([first, stale].sort());
    expect(commit.kept).toEqual([recent]);
    const keys = await keysUnder(uri);
    expect(keys.filter(k => k.startsWith(`payloads/${second}/`))).toHaveLength(SMALL_FILES.length);
    expect(keys.filter(k => !k.startsWith(`payloads/${second}/`))).toEqual(
      ['manifest.json', `payloads/${recent}/g0.pkl`, 'payloads/notes/readme.txt'].sort()
    );
  });

  it('lists and describes the bundles under a root prefix, then deletes one', async () => {
    const root = freshUri().replace(/\/bundle$/, '');
    const older = newCheckpointId(new Date('2026-01-02T03:04:05Z'));
    const newer = newCheckpointId(new Date('2026-05-06T07:08:09Z'));
    await writeCheckpoint(s3Store(`${root}/one`), older);
    await writeCheckpoint(s3Store(`${root}/two`), newer);
    await put(`${root}/broken`, 'manifest.json', '[]');
    await put(`${root}/other`, 'data.csv', 'a,b');
    await put(root, 'loose.txt', 'x');

    const list = await listCheckpoints(root, { s3: { client } });
    expect(list.map(e => [e.uri, e.error === null ? e.checkpointId : e.code])).toEqual([
      [`${root}/two`, newer],
      [`${root}/one`, older],
      [`${root}/broken`, 'corrupt']
    ]);
    expect(list[0]).toMatchObject({
      copiedVariables: 2,
      bytes: SMALL_FILES.reduce((s, f) => s + f.size, 0),
      formatVersion: 1
    });
    expect(list[2].error).toBe(`${root}/broken: manifest.json does not hold a JSON object`);

    const description = await describeCheckpoint(`${root}/one`, { s3: { client } });
    expect(description).toMatchObject({ checkpointId: older, complete: true, missingFiles: [], copied: ['v0', 'v1'] });

    const store = s3Store(`${root}/one`);
    await put(`${root}/one`, 'notes.txt', 'mine');
    await store.delete();
    expect(await keysUnder(`${root}/one`)).toEqual(['notes.txt']);
    const err = await rejection(store.delete());
    expect([err.code, err.message]).toEqual(['not-found', `no checkpoint at ${root}/one: there is nothing to delete`]);
    expect((await listCheckpoints(root, { s3: { client } })).map(e => e.uri)).toEqual([
      `${root}/two`,
      `${root}/broken`
    ]);
  });
});

describe('configuration', () => {
  it('falls back to the AWS environment variables', () => {
    expect(resolveS3Config({}, {})).toEqual({
      endpoint: undefined,
      region: 'us-east-1',
      credentials: undefined,
      forcePathStyle: false
    });
    const env = {
      AWS_ENDPOINT_URL: 'http://generic:1',
      AWS_ENDPOINT_URL_S3: 'http://s3-specific:2',
      AWS_DEFAULT_REGION: 'eu-west-1',
      AWS_REGION: 'eu-central-1',
      AWS_ACCESS_KEY_ID: 'key',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token'
    };
    expect(resolveS3Config({}, env)).toEqual({
      endpoint: 'http://s3-specific:2',
      region: 'eu-central-1',
      credentials: { accessKeyId: 'key', secretAccessKey: 'secret', sessionToken: 'token' },
      forcePathStyle: true
    });
    expect(
      resolveS3Config({}, { AWS_ENDPOINT_URL: 'http://generic:1', AWS_DEFAULT_REGION: 'eu-west-1' })
    ).toMatchObject({
      endpoint: 'http://generic:1',
      region: 'eu-west-1'
    });
    // Options win over the environment.
    expect(
      resolveS3Config(
        {
          endpoint: 'https://mine',
          region: 'r',
          credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
          forcePathStyle: false
        },
        env
      )
    ).toEqual({
      endpoint: 'https://mine',
      region: 'r',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      forcePathStyle: false
    });
  });

  it('refuses half-set credentials, bad endpoints and bad transfer settings', () => {
    const message = (run: () => unknown): string => {
      try {
        run();
      } catch (err) {
        expect(err).toBeInstanceOf(BundleError);
        return (err as Error).message;
      }
      throw new Error('expected an error');
    };
    expect(message(() => resolveS3Config({}, { AWS_ACCESS_KEY_ID: 'k' }))).toBe(
      'AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both or neither'
    );
    expect(message(() => resolveS3Config({ endpoint: 'localhost:9000' }, {}))).toBe(
      "the S3 endpoint 'localhost:9000' is not an http:// or https:// URL"
    );
    expect(message(() => openStore('s3://bkt/p', { s3: { partSize: 1024 } }))).toBe(
      `partSize must be a whole number of bytes of at least ${MIN_PART_SIZE} (5 MiB), got 1024`
    );
    expect(message(() => openStore('s3://bkt/p', { s3: { fileConcurrency: 0 } }))).toBe(
      'fileConcurrency must be a positive whole number, got 0'
    );
  });

  it('openStore reaches an S3-compatible server configured only by environment variables', async () => {
    const uri = freshUri();
    await writeCheckpoint(s3Store(uri), newCheckpointId());
    const store = openStore(uri, {
      env: { AWS_ENDPOINT_URL_S3: endpoint, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' }
    });
    expect(store).toBeInstanceOf(S3Store);
    expect((store as S3Store).config).toMatchObject({ endpoint, forcePathStyle: true });
    expect((await store.readManifest()).format).toBe('elastic-notebook-bundle');
    await store.close();
    const wrong = openStore(uri, {
      env: { AWS_ENDPOINT_URL_S3: endpoint, AWS_ACCESS_KEY_ID: 'nope', AWS_SECRET_ACCESS_KEY: 'nope' }
    });
    let err = await rejection(wrong.readManifest());
    expect(err.code).toBe('io');
    expect(err.message).toContain(`reading ${uri}/manifest.json: access denied by ${endpoint}`);
    await wrong.close();
    const missingBucket = openStore('s3://no-such-bucket/p', { s3: { endpoint, credentials: CREDENTIALS } });
    err = await rejection(missingBucket.readManifest());
    expect(err.message).toBe(
      `reading s3://no-such-bucket/p/manifest.json: the bucket 'no-such-bucket' does not exist at ${endpoint}`
    );
    await missingBucket.close();

    // A port nothing listens on (taken, then released).
    const port = await new Promise<number>(resolve => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const down = openStore(uri, { s3: { endpoint: `http://127.0.0.1:${port}`, credentials: CREDENTIALS } });
    err = await rejection(down.readManifest());
    expect(err.code).toBe('io');
    expect(err.message).toMatch(
      new RegExp(`^reading ${uri}/manifest.json: cannot reach http://127.0.0.1:${port} \\(.*ECONNREFUSED`)
    );
    await down.close();
  });
});
