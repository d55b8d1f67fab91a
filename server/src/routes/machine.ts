/**
 * This machine's facts, for the target listings of other companions (docs/internals.md section 5).
 *
 * | method, path | what |
 * | --- | --- |
 * | `GET /api/machine?modules=a,b[&folder=f]` | `machineInfoSchema`: CPUs, memory, disk, GPUs, Python, the modules' versions (also found in the Jupyter root's folder `f`, a notebook's), CPU score |
 * | `POST /api/machine/echo` | the bandwidth probe: reads a raw body (up to 8 MB), answers `{bytes}` |
 */
import express, { Router } from 'express';
import path from 'path';
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

/**
 * `?folder=a/b`: a folder relative to the Jupyter root, `/`-separated, that cannot leave it (empty:
 * the root itself), where a notebook's kernel would find modules of its own.
 */
export const folderQuerySchema = z
  .string()
  .refine(value => !value.startsWith('/') && !value.split('/').some(s => s === '.' || s === '..'), {
    message: 'must be a folder relative to the Jupyter root'
  })
  .optional();

/** The machine routes, to mount after the secret check; `baseDir` is the Jupyter root. */
export function machineRouter(machine: MachineInfoCollector, baseDir?: string): Router {
  const router = express.Router();
  router.get(
    '/api/machine',
    route(async (req, res) => {
      const modules = parse(modulesQuerySchema, req.query.modules, 'modules');
      const folder = parse(folderQuerySchema, req.query.folder, 'folder');
      const where =
        folder !== undefined && baseDir !== undefined
          ? path.resolve(baseDir, ...folder.split('/').filter(Boolean))
          : undefined;
      res.json(await machine.collect([...new Set(modules)], where));
    })
  );
  router.post('/api/machine/echo', express.raw({ type: () => true, limit: ECHO_LIMIT }), (req, res) => {
    res.json({ bytes: Buffer.isBuffer(req.body) ? req.body.length : 0 });
  });
  return router;
}
