/**
 * Bundle URIs: a folder path (absolute, relative to the working directory, `~/...`, or a
 * `file://` URL) or `s3://bucket[/prefix]`. Parsing gives a canonical `uri` that names the bundle
 * in every message: the absolute folder path, or `s3://bucket/prefix` without a trailing slash.
 */
import os from 'os';
import path from 'path';
import { fileURLToPath } from 'url';
import { BundleError } from './errors';

/** A bundle (or a root of bundles) in a local folder. */
export interface ILocalLocation {
  kind: 'local';
  /** Absolute folder path. */
  path: string;
  /** Canonical URI: the absolute path. */
  uri: string;
}

/** A bundle (or a root of bundles) under a prefix of an S3 bucket. */
export interface IS3Location {
  kind: 's3';
  bucket: string;
  /** Key prefix without leading or trailing slash; '' for the bucket's top level. */
  prefix: string;
  /** Canonical URI: `s3://bucket/prefix` (`s3://bucket` for an empty prefix). */
  uri: string;
}

/** Where a bundle lives. */
export type BundleLocation = ILocalLocation | IS3Location;

/** A URI scheme: `name://`, or `s3:` / `file:` however malformed what follows is. */
const SCHEME = /^([a-z][a-z0-9+.-]*):\/\/|^(s3|file):/i;
const BUCKET = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/i;

/**
 * Parse a bundle URI. Relative paths are resolved against `cwd`. Throws `BundleError`
 * ('invalid-uri') with the reason for an empty URI, an unsupported scheme, a malformed `s3://`
 * URI (missing or invalid bucket, empty, `.` or `..` key segments), or a bad `file://` URL.
 */
export function parseBundleUri(uri: string, cwd: string = process.cwd()): BundleLocation {
  const text = uri.trim();
  if (text === '') {
    throw new BundleError('invalid-uri', 'the bundle location is empty; give a folder path or s3://bucket/prefix');
  }
  const match = SCHEME.exec(text);
  const scheme = (match?.[1] ?? match?.[2])?.toLowerCase();
  // Anything else is a path, colons included (`run:1`); so is a Windows drive (`C:\...`, `C://`).
  if (scheme === undefined || scheme.length === 1) {
    return localLocation(path.resolve(cwd, expandHome(text)));
  }
  if (scheme === 's3') {
    return parseS3(text);
  }
  if (scheme === 'file') {
    let file: string;
    try {
      file = fileURLToPath(text);
    } catch (err) {
      throw new BundleError(
        'invalid-uri',
        `bundle URI '${uri}' is not a valid file:// URL (${(err as Error).message})`
      );
    }
    return localLocation(file);
  }
  throw new BundleError(
    'invalid-uri',
    `bundle URI '${uri}' has the unsupported scheme '${scheme}:'; give a folder path or s3://bucket/prefix`
  );
}

/** The location of the bundle `name` directly under the root `parent` (used by listings). */
export function childLocation(parent: BundleLocation, name: string): BundleLocation {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes(path.sep)) {
    throw new BundleError('invalid', `'${name}' is not a bundle name under ${parent.uri}`);
  }
  if (parent.kind === 'local') {
    return localLocation(path.join(parent.path, name));
  }
  return s3Location(parent.bucket, parent.prefix === '' ? name : `${parent.prefix}/${name}`);
}

/** The S3 key of a path relative to the bundle (`manifest.json`, `payloads/<id>/g0.pkl`). */
export function s3Key(location: IS3Location, relative: string): string {
  return location.prefix === '' ? relative : `${location.prefix}/${relative}`;
}

function localLocation(absolute: string): ILocalLocation {
  // path.resolve normalizes (no trailing separator, no '..'), so that the URI is canonical.
  const normalized = path.resolve(absolute);
  return { kind: 'local', path: normalized, uri: normalized };
}

function s3Location(bucket: string, prefix: string): IS3Location {
  return { kind: 's3', bucket, prefix, uri: prefix === '' ? `s3://${bucket}` : `s3://${bucket}/${prefix}` };
}

function parseS3(uri: string): IS3Location {
  const rest = uri.replace(/^s3:/i, '');
  if (!rest.startsWith('//')) {
    throw new BundleError('invalid-uri', `bundle URI '${uri}' is malformed; S3 URIs look like s3://bucket/prefix`);
  }
  const body = rest.slice(2);
  const slash = body.indexOf('/');
  const bucket = slash < 0 ? body : body.slice(0, slash);
  if (bucket === '') {
    throw new BundleError('invalid-uri', `bundle URI '${uri}' names no bucket; S3 URIs look like s3://bucket/prefix`);
  }
  if (!BUCKET.test(bucket)) {
    throw new BundleError(
      'invalid-uri',
      `bundle URI '${uri}': '${bucket}' is not a valid bucket name ` +
        '(3-63 letters, digits, dots, hyphens or underscores, starting and ending with a letter or digit)'
    );
  }
  // One trailing slash is the usual way of writing a prefix; anything else empty is a typo.
  const prefix = slash < 0 ? '' : body.slice(slash + 1).replace(/\/$/, '');
  if (prefix !== '') {
    for (const segment of prefix.split('/')) {
      if (segment === '' || segment === '.' || segment === '..') {
        throw new BundleError(
          'invalid-uri',
          `bundle URI '${uri}' has an empty, '.' or '..' segment in its key prefix '${prefix}'`
        );
      }
    }
  }
  return s3Location(bucket, prefix);
}

function expandHome(text: string): string {
  if (text === '~') {
    return os.homedir();
  }
  if (text.startsWith('~/') || text.startsWith(`~${path.sep}`)) {
    return path.join(os.homedir(), text.slice(2));
  }
  return text;
}
