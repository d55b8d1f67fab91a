/**
 * The companion's HTTP helpers, shared by every router: the one error type routes throw, the
 * wrapper that hands an async handler's errors to express, request validation, and the error
 * handler that turns every failure into the protocol's `{"error": message}` body.
 */
import type { IErrorBody } from '@elastic-notebook/protocol';
import express, { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { BundleErrorCode, isBundleError } from './bundle/errors';
import { describeIssues, idSchema } from './schemas';

/** Options of an {@link HttpError}. */
export interface IHttpErrorOptions {
  /** More fields of the answer's body beside `error` (a `jobId`, the `nextSeq` to resume from). */
  body?: Record<string, unknown>;
  /** Answer the message as it is; default for a 4xx only (anything else is an internal error). */
  expose?: boolean;
}

/**
 * An error answered with `status` and `{error: message, ...body}`. It follows the http-errors
 * convention (`status`, `expose`): a 4xx is the caller's to see, anything else is answered as an
 * internal error and logged, unless `expose` says otherwise (a 503 that says why).
 */
export class HttpError extends Error {
  /** Whether the message is answered as it is. */
  readonly expose: boolean;
  private readonly extra: Record<string, unknown>;

  constructor(
    readonly status: number,
    message: string,
    options: IHttpErrorOptions = {}
  ) {
    super(message);
    this.expose = options.expose ?? (status >= 400 && status < 500);
    this.extra = options.body ?? {};
  }

  /** The answer's body. */
  body(): IErrorBody & Record<string, unknown> {
    return { ...this.extra, error: this.message };
  }
}

/** An async route handler. */
export type AsyncHandler = (req: Request, res: Response) => Promise<void>;

/** Wrap an async handler so that what it throws reaches the error handler. */
export const route =
  (handler: AsyncHandler): RequestHandler =>
  (req: Request, res: Response, next: NextFunction) =>
    handler(req, res).catch(next);

/** Validate `value` with `schema`, or throw a 400 naming the bad field (under `prefix`). */
export function parse<T extends z.ZodType>(schema: T, value: unknown, prefix = ''): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new HttpError(400, describeIssues(parsed.error, prefix));
  }
  return parsed.data;
}

/** The request's `:kernelId`, validated (400 for an unsafe id). */
export function kernelIdOf(req: Request): string {
  return parse(idSchema, req.params.kernelId, 'kernelId');
}

/** A JSON body parser: any content type (agents and scripts forget it), strict, at most `limit`. */
export function jsonBody(limit: string): RequestHandler {
  return express.json({ limit, strict: true, type: () => true });
}

/** The HTTP status of a bundle-layer failure (a 502 is answered as an internal error). */
function bundleStatus(code: BundleErrorCode): number {
  switch (code) {
    case 'invalid-uri':
    case 'invalid':
      return 400;
    case 'not-found':
      return 404;
    case 'corrupt':
    case 'newer-format':
      return 422;
    case 'cancelled':
      return 409;
    default:
      return 502;
  }
}

/** The last handler: no route matched. */
export const notFound: RequestHandler = (req, _res, next) =>
  next(new HttpError(404, `no route ${req.method} ${req.path}`));

/**
 * The error handler: an exposed {@link HttpError} as it is, bundle errors by their code, body
 * reading failures as 413/400, anything else a 500 "internal error" (logged through `warn`).
 */
export function errorHandler(options: { bodyLimit: string; warn: (message: string) => void }): ErrorRequestHandler {
  // Express recognises an error handler by its four parameters.
  return (thrown: any, _req: Request, res: Response, _next: NextFunction) => {
    const err = isBundleError(thrown) ? new HttpError(bundleStatus(thrown.code), thrown.message) : thrown;
    if (err instanceof HttpError && err.expose) {
      res.status(err.status).json(err.body());
    } else if (err?.type === 'entity.too.large') {
      res.status(413).json({ error: `request body larger than ${options.bodyLimit}` });
    } else if (err?.type === 'entity.parse.failed') {
      res.status(400).json({ error: `malformed JSON: ${err.message}` });
    } else if (!(err instanceof HttpError) && err?.expose && err.status >= 400 && err.status < 500) {
      // Other body-reading failures (unsupported charset or encoding, aborted upload).
      res.status(err.status).json({ error: err.message });
    } else {
      options.warn(`elastic-notebook: internal error: ${err?.stack ?? err}`);
      res.status(500).json({ error: `internal error: ${err?.message ?? String(err)}` });
    }
  };
}
