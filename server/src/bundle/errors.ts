/**
 * Errors of the bundle layer. Every failure a caller may want to tell apart carries a `code`; the
 * message is one line that names the bundle and, where there is one, what to do about it.
 */

/** What went wrong with a bundle or a store. */
export type BundleErrorCode =
  /** The bundle URI is malformed or names an unsupported scheme. */
  | 'invalid-uri'
  /** A caller passed something unusable (a malformed manifest to commit, a file outside the checkpoint...). */
  | 'invalid'
  /** There is no bundle (no manifest.json), or a file it refers to is missing. */
  | 'not-found'
  /** manifest.json is not valid JSON or does not match the schema. */
  | 'corrupt'
  /** The bundle was written by a newer Elastic Notebook (a greater `formatVersion`). */
  | 'newer-format'
  /** The file system or the object store failed (permissions, network, disk full...). */
  | 'io'
  /** The operation was cancelled through its AbortSignal. */
  | 'cancelled';

/** A bundle operation failed; `code` says how, the message says what and where. */
export class BundleError extends Error {
  /** For 'newer-format': the bundle's format version. */
  readonly formatVersion?: number;

  constructor(
    readonly code: BundleErrorCode,
    message: string,
    options: { cause?: unknown; formatVersion?: number } = {}
  ) {
    super(message, { cause: options.cause });
    this.name = 'BundleError';
    if (options.formatVersion !== undefined) {
      this.formatVersion = options.formatVersion;
    }
  }
}

/** Whether `err` is a `BundleError` (with the given code, when one is given). */
export function isBundleError(err: unknown, code?: BundleErrorCode): err is BundleError {
  return err instanceof BundleError && (code === undefined || err.code === code);
}

/** The message of any thrown value, for wrapping it into a one-line error. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    return err.message || err.name;
  }
  return String(err);
}
