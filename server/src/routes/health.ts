/** `GET /api/health`: the companion is up, which version it is and which process. */
import express, { Router } from 'express';
import { packageVersion } from '../version';

/** The health route (the server extension's liveness check). */
export function healthRouter(): Router {
  const version = packageVersion();
  return express.Router().get('/api/health', (_req, res) => {
    res.json({ ok: true, version, pid: process.pid });
  });
}
