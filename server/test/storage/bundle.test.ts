/** Checkpoint ids, bundle URIs and the manifest schema (docs/checkpoint.md sections 1-2). */
import os from 'os';
import path from 'path';
import {
  BundleError,
  checkpointTime,
  childLocation,
  copiedVariables,
  FORMAT_VERSION,
  isCheckpointId,
  manifestFiles,
  newCheckpointId,
  parseBundleUri,
  parseManifest,
  parseManifestText,
  payloadBytes,
  payloadPath,
  referencedCheckpoints,
  serializeManifest,
  splitPayloadPath
} from '../../src/bundle';
import { buildManifest, sha256 } from './helpers';

const ID = '20261121T101500Z-1a2b3c4d';
const files = ['g0.pkl', 'history.jsonl', 'random.pkl'].map(name => ({
  name,
  bytes: 10,
  checksum: sha256(Buffer.from(name))
}));

/** A valid manifest as plain JSON, to break one field at a time. */
function manifestJson(): Record<string, any> {
  return JSON.parse(JSON.stringify(buildManifest(ID, files)));
}

/** The BundleError thrown by `run`. */
function errorOf(run: () => unknown): BundleError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(BundleError);
    return err as BundleError;
  }
  throw new Error('expected a BundleError, nothing was thrown');
}

describe('checkpoint ids', () => {
  it('encode the UTC time and 8 random hex digits', () => {
    const id = newCheckpointId(new Date('2026-11-21T10:15:00.789Z'));
    expect(id).toMatch(/^20261121T101500Z-[0-9a-f]{8}$/);
    expect(checkpointTime(id)?.toISOString()).toBe('2026-11-21T10:15:00.000Z');
    expect(newCheckpointId()).not.toBe(newCheckpointId());
  });

  it('reject malformed ids and impossible dates', () => {
    expect(isCheckpointId(ID)).toBe(true);
    for (const bad of [
      '',
      '20261121T101500Z',
      '20261121T101500Z-1A2B3C4D',
      '20261321T101500Z-1a2b3c4d',
      '20260230T101500Z-1a2b3c4d',
      '../x',
      `${ID}/x`
    ]) {
      expect(isCheckpointId(bad)).toBe(false);
    }
  });
});

describe('bundle URIs', () => {
  it('resolve relative folder paths against the working directory', () => {
    expect(parseBundleUri('out/bundle', '/work/here')).toEqual({
      kind: 'local',
      path: '/work/here/out/bundle',
      uri: '/work/here/out/bundle'
    });
    expect(parseBundleUri('/abs/b/', '/x').uri).toBe('/abs/b');
    expect(parseBundleUri('~/b', '/x').uri).toBe(path.join(os.homedir(), 'b'));
    expect(parseBundleUri('file:///tmp/b').uri).toBe('/tmp/b');
    expect(parseBundleUri('file:/tmp/b').uri).toBe('/tmp/b');
    expect(parseBundleUri('run:1', '/x').uri).toBe('/x/run:1');
  });

  it('parse s3://bucket/prefix, with or without a prefix or trailing slash', () => {
    expect(parseBundleUri('s3://my-bucket/team/run-1/')).toEqual({
      kind: 's3',
      bucket: 'my-bucket',
      prefix: 'team/run-1',
      uri: 's3://my-bucket/team/run-1'
    });
    expect(parseBundleUri('S3://my-bucket')).toEqual({
      kind: 's3',
      bucket: 'my-bucket',
      prefix: '',
      uri: 's3://my-bucket'
    });
    expect(childLocation(parseBundleUri('s3://my-bucket'), 'a').uri).toBe('s3://my-bucket/a');
    expect(childLocation(parseBundleUri('s3://my-bucket/p'), 'a').uri).toBe('s3://my-bucket/p/a');
    expect(childLocation(parseBundleUri('/r'), 'a').uri).toBe('/r/a');
  });

  it.each([
    ['', 'the bundle location is empty'],
    ['s3:/bucket/x', "bundle URI 's3:/bucket/x' is malformed; S3 URIs look like s3://bucket/prefix"],
    ['s3://', "bundle URI 's3://' names no bucket"],
    ['s3:///p', "bundle URI 's3:///p' names no bucket"],
    ['s3://Bad_Bucket!/p', "'Bad_Bucket!' is not a valid bucket name"],
    ['s3://bucket/a//b', "has an empty, '.' or '..' segment in its key prefix 'a//b'"],
    ['s3://bucket/a/../b', "has an empty, '.' or '..' segment"],
    ['gs://bucket/x', "has the unsupported scheme 'gs:'"],
    ['https://example.com/b', "has the unsupported scheme 'https:'"],
    ['file://remote-host/x', 'is not a valid file:// URL']
  ])('refuse %j', (uri, message) => {
    const err = errorOf(() => parseBundleUri(uri));
    expect(err.code).toBe('invalid-uri');
    expect(err.message).toContain(message);
  });
});

describe('manifest schema', () => {
  it('accepts the documented manifest and keeps unknown fields', () => {
    const json: Record<string, any> = { ...manifestJson(), futureField: { a: 1 } };
    json.groups[0].extra = 'kept';
    const manifest = parseManifest(json);
    expect(manifest.formatVersion).toBe(FORMAT_VERSION);
    expect((manifest as unknown as Record<string, unknown>).futureField).toEqual({ a: 1 });
    expect((manifest.groups[0] as unknown as Record<string, unknown>).extra).toBe('kept');
    expect(manifest.marks).toEqual({});
    expect(parseManifestText(serializeManifest(manifest))).toEqual(manifest);
  });

  it('accepts xxh3_128 and sha256 checksums', () => {
    const json = manifestJson();
    json.groups[0].checksum = 'xxh3_128:0123456789abcdef0123456789abcdef';
    expect(parseManifest(json).groups[0].checksum).toBe('xxh3_128:0123456789abcdef0123456789abcdef');
  });

  it('refuses a newer format version with the documented message, before checking anything else', () => {
    const err = errorOf(() =>
      parseManifest({ format: 'elastic-notebook-bundle', formatVersion: 2, whatever: true }, '/b')
    );
    expect(err.code).toBe('newer-format');
    expect(err.formatVersion).toBe(2);
    expect(err.message).toBe(
      '/b: bundle format version 2 is newer than this Elastic Notebook supports (1); upgrade Elastic Notebook to restore it'
    );
  });

  it.each<[string, (m: Record<string, any>) => unknown, string]>([
    [
      'a missing field',
      m => delete m.checkpointId,
      'manifest.json is invalid: checkpointId: missing (expected string)'
    ],
    ['a missing nested field', m => delete m.history.checksum, 'history.checksum: missing'],
    [
      'another format',
      m => (m.format = 'zip'),
      'is not an Elastic Notebook bundle manifest (its format is "zip", expected "elastic-notebook-bundle")'
    ],
    ['no format', m => delete m.format, '(it has no "format", expected'],
    ['format version 0', m => (m.formatVersion = 0), 'formatVersion: must be 1'],
    [
      'a malformed checkpoint id',
      m => (m.checkpointId = 'x'),
      'checkpointId: must look like "20261121T101500Z-1a2b3c4d"'
    ],
    ['a bad date', m => (m.createdAt = 'yesterday'), 'createdAt: must be an ISO 8601 date-time'],
    [
      'a path outside payloads',
      m => (m.groups[0].file = '../../etc/passwd'),
      'groups[0].file: must be a payload path "payloads/<checkpointId>/<file name>", got "../../etc/passwd"'
    ],
    ['a nested payload path', m => (m.random.file = `payloads/${ID}/a/b`), 'random.file: must be a payload path'],
    [
      'a bad checksum',
      m => (m.groups[0].checksum = 'md5:abc'),
      'groups[0].checksum: must be "xxh3_128:<hex>" or "sha256:<hex>"'
    ],
    ['negative bytes', m => (m.groups[0].bytes = -1), 'groups[0].bytes: cannot be negative'],
    ['fractional bytes', m => (m.history.bytes = 1.5), 'history.bytes: must be a whole number of bytes'],
    [
      'a copied group without a file',
      m => (m.groups[0].file = null),
      'groups[0].file: a copied group needs a payload file'
    ],
    [
      'a recomputed group with a file',
      m => (m.groups[1].file = `payloads/${ID}/x.pkl`),
      'groups[1].file: a recomputed group has no payload file'
    ],
    [
      'an unknown decision',
      m => (m.groups[0].decision = 'maybe'),
      'groups[0].decision: expected one of "copy"|"recompute"'
    ],
    ['a variable in two groups', m => (m.groups[1].members = ['v0']), "variable 'v0' is also a member of groups[0]"],
    [
      'two groups sharing a file',
      m => (m.groups[0].file = m.history.file),
      `groups[0].file: payloads/${ID}/history.jsonl is also the file of history.file`
    ],
    ['an array for the plan', m => (m.plan = []), 'plan: expected record, received array'],
    ['a string for a fingerprint', m => (m.fingerprints.v0 = 'x'), 'fingerprints.v0: expected object, received string'],
    ['not an object', () => undefined, 'does not hold a JSON object']
  ])('reports %s precisely', (_label, breakIt, message) => {
    const json = manifestJson();
    const result = breakIt(json);
    const err = errorOf(() =>
      parseManifest(result === undefined && _label === 'not an object' ? [json] : json, '/bundle')
    );
    expect(err.code).toBe('corrupt');
    expect(err.message.startsWith('/bundle: ')).toBe(true);
    expect(err.message).toContain(message);
  });

  it('counts further problems', () => {
    const json = manifestJson();
    delete json.checkpointId;
    delete json.createdAt;
    delete json.stats;
    expect(errorOf(() => parseManifest(json)).message).toMatch(
      /checkpointId: missing \(expected string\) \(and 2 more problems\)$/
    );
  });

  it('reports invalid JSON and empty files as corrupt', () => {
    expect(errorOf(() => parseManifestText('{"format": ', '/b')).message).toMatch(
      /^\/b: manifest.json is not valid JSON \(.+\)$/
    );
    expect(errorOf(() => parseManifestText('  \n', '/b')).message).toBe('/b: manifest.json is empty');
    expect(errorOf(() => parseManifestText('  \n')).code).toBe('corrupt');
  });
});

describe('manifest helpers', () => {
  it('list payload files, referenced checkpoints, bytes and copied variables', () => {
    const manifest = parseManifest(manifestJson());
    expect(manifestFiles(manifest).map(f => f.file)).toEqual([
      `payloads/${ID}/history.jsonl`,
      `payloads/${ID}/random.pkl`,
      `payloads/${ID}/g0.pkl`
    ]);
    expect([...referencedCheckpoints(manifest)]).toEqual([ID]);
    expect(payloadBytes(manifest)).toBe(30);
    expect(copiedVariables(manifest)).toEqual(['v0']);
  });

  it('build and split payload paths safely', () => {
    expect(payloadPath(ID, 'g0.pkl')).toBe(`payloads/${ID}/g0.pkl`);
    expect(splitPayloadPath(`payloads/${ID}/g0.pkl`)).toEqual({ checkpointId: ID, name: 'g0.pkl' });
    for (const bad of [
      `payloads/${ID}/..`,
      `payloads/${ID}/.hidden`,
      'payloads/x/g0.pkl',
      `/payloads/${ID}/g0.pkl`,
      `payloads/${ID}/`
    ]) {
      expect(splitPayloadPath(bad)).toBeNull();
    }
    expect(errorOf(() => payloadPath(ID, '../x')).code).toBe('invalid');
  });
});
