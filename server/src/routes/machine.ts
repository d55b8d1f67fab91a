/**
 * This machine's facts, for the target listings of other companions (docs/internals.md section 5).
 *
 * | method, path | what |
 * | --- | --- |
 * | `GET /api/machine?modules=a,b` | `machineInfoSchema`: CPUs, memory, disk, GPUs, Python, the modules' versions, CPU score |
 * | `POST /api/machine/echo` | the bandwidth probe: reads a raw body (up to 8 MB), answers `{bytes}` |
 */
import express, { Router } from 'express';
import { z } from 'zod';
import { parse, route } from '../http';
import type { MachineInfoCollector } from '../targets/machineInfo';

/** Largest bandwidth probe body. */
export const ECHO_LIMIT = '8mb';

/** `?modules=a,b`: top-level module names (at most 500). */
export const modulesQuerySchema = z
  .string()
  .optional()
  .transform(value =>
    (value ?? '')
      .split(',')
      .map(name => name.trim())
      .filter(Boolean)
  )
  .pipe(
    z
      .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be comma-separated module names'))
      .max(500, 'at most 500 modules')
  );

/** The machine routes, to mount after the secret check. */
export function machineRouter(machine: MachineInfoCollector): Router {
  const router = express.Router();
  router.get(
    '/api/machine',
    route(async (req, res) => {
      const modules = parse(modulesQuerySchema, req.query.modules, 'modules');
      res.json(await machine.collect([...new Set(modules)]));
    })
  );
  router.post('/api/machine/echo', express.raw({ type: () => true, limit: ECHO_LIMIT }), (req, res) => {
    res.json({ bytes: Buffer.isBuffer(req.body) ? req.body.length : 0 });
  });
  return router;
}
