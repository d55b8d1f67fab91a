/**
 * The target side of a migration (docs/internals.md section 5): another companion sends a bundle
 * here through this Jupyter server's authenticated proxy, then asks for it to be restored into a
 * new notebook session.
 *
 * | method, path | what |
 * | --- | --- |
 * | `POST /api/incoming` | announce files `{files: [{path, bytes, sha256}]}`: `201 {transferId}` |
 * | `GET /api/incoming/:transferId` | `{transferId, files: [{path, bytes, sha256, received}], complete}` |
 * | `PUT /api/incoming/:transferId/files?path=&offset=&sha256=` | append a chunk (raw body, at most 8 MiB): `{path, received}` |
 * | `POST /api/incoming/:transferId/restore` | `{notebookPath, kernelName?}`: `202 {jobId, kernelId, sessionId}` |
 * | `DELETE /api/incoming/:transferId` | cancel: remove what arrived, `{deleted: transferId}` |
 *
 * No trust confirmation is asked for the restore (unlike `POST kernels/:id/restore` from a folder
 * outside the checkpoint root): the bundle can only have arrived through these routes, that is,
 * from someone holding this server's Jupyter token, who can run any code in its kernels anyway;
 * and it sits in the companion's own folder, where nothing else writes.
 */
import express, { Request, Router } from 'express';
import {
  chunkQuerySchema,
  incomingRequestSchema,
  incomingRestoreRequestSchema,
  MAX_CHUNK_BYTES
} from '@elastic-notebook/protocol/schemas';
import type { CompanionMeasurements } from '../companion/measurements';
import { parseManifestText, MANIFEST_FILE } from '../bundle/manifest';
import { HttpError, jsonBody, parse, route } from '../http';
import type { JobRegistry } from '../jobs/jobRegistry';
import { idSchema } from '../schemas';
import { IncomingTransfers } from '../transfer/incomingTransfers';
import { restoreIntoNewSession } from '../transfer/sessionRestore';
import { IKernelReach, kernelsOf } from './jobRequests';
import { promises as fs } from 'fs';
import path from 'path';

/** What the incoming routes need. */
export interface IIncomingRouterServices {
  transfers: IncomingTransfers;
  jobs: JobRegistry;
  kernels: IKernelReach;
  measurements: CompanionMeasurements;
  baseDir: string;
  warn: (message: string) => void;
  /**
   * Test hook (`ELASTIC_NOTEBOOK_TEST_CUT_CHUNK=N`): the N-th chunk this companion receives is
   * stored, then its connection is cut without an answer, as a network failure would.
   */
  cutChunk?: number;
}

/** The incoming-transfer routes, to mount after the secret check. */
export function incomingRouter(services: IIncomingRouterServices): Router {
  const { transfers, jobs } = services;
  const router = express.Router();
  const transferIdOf = (req: Request) => parse(idSchema, req.params.transferId, 'transferId');
  let chunks = 0;

  router.post(
    '/api/incoming',
    jsonBody('4mb'),
    route(async (req, res) => {
      const body = parse(incomingRequestSchema, req.body ?? {});
      await transfers.prune(id => jobs.usingBundle(transfers.folder(id)) !== undefined);
      res.status(201).json({ transferId: await transfers.create(body.files) });
    })
  );

  router.get(
    '/api/incoming/:transferId',
    route(async (req, res) => {
      res.json(await transfers.status(transferIdOf(req)));
    })
  );

  router.put(
    '/api/incoming/:transferId/files',
    express.raw({ type: () => true, limit: MAX_CHUNK_BYTES }),
    route(async (req, res) => {
      const transferId = transferIdOf(req);
      const query = parse(chunkQuerySchema, req.query);
      const data = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const received = await transfers.append(transferId, query.path, query.offset, query.sha256, data);
      chunks += 1;
      if (services.cutChunk !== undefined && chunks === services.cutChunk) {
        req.socket.destroy();
        return;
      }
      res.json({ path: query.path, received });
    })
  );

  router.delete(
    '/api/incoming/:transferId',
    route(async (req, res) => {
      const transferId = transferIdOf(req);
      const busy = jobs.usingBundle(transfers.folder(transferId));
      if (busy) {
        throw new HttpError(409, `transfer ${transferId} is being restored; cancel job ${busy.id} instead`, {
          body: { jobId: busy.id }
        });
      }
      if (!(await transfers.remove(transferId))) {
        throw new HttpError(404, `no incoming transfer ${transferId}`);
      }
      res.json({ deleted: transferId });
    })
  );

  router.post(
    '/api/incoming/:transferId/restore',
    jsonBody('1mb'),
    route(async (req, res) => {
      const transferId = transferIdOf(req);
      const body = parse(incomingRestoreRequestSchema, req.body ?? {});
      const notebookPath = relativeNotebookPath(body.notebookPath);
      const kernels = kernelsOf(services.kernels);
      const folder = transfers.folder(transferId);
      if (jobs.usingBundle(folder)) {
        throw new HttpError(409, `transfer ${transferId} is already being restored`);
      }
      await transfers.verify(transferId);
      const manifest = parseManifestText(await fs.readFile(path.join(folder, MANIFEST_FILE), 'utf8'), MANIFEST_FILE);
      const kernelName = body.kernelName ?? manifest.notebook.kernelName ?? null;
      const release = () => transfers.remove(transferId);
      const started = await restoreIntoNewSession(
        { ...services, kernels },
        { uri: folder, notebookPath, kernelName, release }
      );
      res.status(202).json(started);
    })
  );
  return router;
}

/** A notebook path relative to the Jupyter root, `/`-separated, that cannot leave it (else a 400). */
export function relativeNotebookPath(value: string): string {
  const normalized = value.replace(/\\/g, '/');
  const segments = normalized.split('/');
  if (normalized.startsWith('/') || segments.some(s => s === '' || s === '.' || s === '..')) {
    throw new HttpError(400, `notebookPath: must be a path relative to the Jupyter root, got ${JSON.stringify(value)}`);
  }
  return normalized;
}
