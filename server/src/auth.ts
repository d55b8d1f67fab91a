import { createHmac, timingSafeEqual } from 'crypto';
import { NextFunction, Request, Response } from 'express';

/** Header the Jupyter server extension adds after Jupyter's own authentication. */
export const SECRET_HEADER = 'x-elastic-notebook-secret';

/** The token a kernel agent presents to post records for `kernelId` only. */
export function ingestToken(secret: string, kernelId: string): string {
  return createHmac('sha256', secret).update(kernelId).digest('hex');
}

/** Constant-time string comparison. */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (typeof given !== 'string') {
    return false;
  }
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Express middleware: only requests carrying the shared secret pass. */
export function requireSecret(secret: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (sameSecret(req.header(SECRET_HEADER), secret)) {
      next();
    } else {
      res.status(401).json({ error: 'missing or wrong secret: reach this server through Jupyter' });
    }
  };
}

/** Express middleware for the ingest route: the bearer token must be the kernel's ingest token. */
export function requireIngestToken(secret: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const header = req.header('authorization') ?? '';
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
    if (sameSecret(token, ingestToken(secret, String(req.params.kernelId)))) {
      next();
    } else {
      res.status(401).json({ error: 'missing or wrong ingest token for this kernel' });
    }
  };
}
