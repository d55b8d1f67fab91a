/**
 * The target side of a migration (docs/internals.md section 5): another companion sends a bundle
 * here through this Jupyter server's authenticated proxy, then asks for it to be restored into a
 * new notebook session.
 *
 * | method, path | what |
 * | --- | --- |
 * | `POST /api/incoming` | announce files `{files: [{path, bytes, sha256}], open?, prepare?}`: `201 {transferId}` |
 * | `POST /api/incoming/:transferId/files` | announce more files of an open transfer `{files: [...]}`: `{added}` |
 * | `GET /api/incoming/:transferId` | `{transferId, files: [{path, bytes, sha256, received}], complete, open, prepare?}` |
 * | `PUT /api/incoming/:transferId/files?path=&offset=&sha256=` | append a chunk (raw body, at most 8 MiB): `{path, received}` |
 * | `POST /api/incoming/:transferId/restore` | `{notebookPath, kernelName?}`: `202 {jobId, kernelId, sessionId}` |
 * | `DELETE /api/incoming/:transferId` | cancel: remove what arrived, `{deleted: transferId}` |
 *
 * `prepare: {notebookPath, kernelName?, modules, codes}` opens the restore's session at once
 * (transfer/preparedSessions.ts), while the source still checkpoints; the restore takes it.
 *
 * No trust confirmation is asked for the restore (unlike `POST kernels/:id/restore` from a folder
 * outside the checkpoint root): the bundle can only have arrived through these routes, that is,
 * from someone holding this server's Jupyter token, who can run any code in its kernels anyway;
 * and it sits in the companion's own folder, where nothing else writes.
 */
import express, { Request, Router } from 'express';
import {
  chunkQuerySchema,
  incomingFilesRequestSchema,
  incomingRequestSchema,
  incomingRestoreRequestSchema,
  MAX_CHUNK_BYTES
} from '@elastic-notebook/protocol/schemas';
import type { CompanionMeasurements } from '../companion/measurements';
import { errorMessage } from '../bundle/errors';
import { IManifest, parseManifestText, MANIFEST_FILE } from '../bundle/manifest';
import { HttpError, jsonBody, parse, route } from '../http';
import type { JobRegistry } from '../jobs/jobRegistry';
import { idSchema } from '../schemas';
import { IncomingTransfers } from '../transfer/incomingTransfers';
import { ArrivingPayloads } from '../transfer/arrivingPayloads';
import { PREPARED_TIMEOUT_MS, PreparedSessions } from '../transfer/preparedSessions';
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
  /** How long a prepared session waits for its restore, ms (default 10 minutes). */
  preparedTimeoutMs?: number;
}

/** The incoming-transfer routes, to mount after the secret check. */
export function incomingRouter(services: IIncomingRouterServices): Router {
  const { transfers, jobs } = services;
  const router = express.Router();
  const transferIdOf = (req: Request) => parse(idSchema, req.params.transferId, 'transferId');
  let chunks = 0;
  const prepared = new PreparedSessions({
    kernels: () => kernelsOf(services.kernels),
    expire: async transferId => {
      await transfers.remove(transferId);
    },
    warn: services.warn,
    timeoutMs: services.preparedTimeoutMs
  });

  router.post(
    '/api/incoming',
    jsonBody('32mb'),
    route(async (req, res) => {
      const body = parse(incomingRequestSchema, req.body ?? {});
      const prepare = body.prepare && {
        notebookPath: relativeNotebookPath(body.prepare.notebookPath),
        kernelName: body.prepare.kernelName ?? null,
        modules: body.prepare.modules,
        codes: body.prepare.codes
      };
      if (prepare) {
        kernelsOf(services.kernels); // a 503 before anything is created
      }
      await transfers.prune(id => jobs.usingBundle(transfers.folder(id)) !== undefined || prepared.has(id));
      const transferId = await transfers.create(body.files, { open: body.open });
      if (prepare) {
        prepared.start(transferId, prepare);
      }
      res.status(201).json({ transferId });
    })
  );

  router.post(
    '/api/incoming/:transferId/files',
    jsonBody('4mb'),
    route(async (req, res) => {
      const transferId = transferIdOf(req);
      const body = parse(incomingFilesRequestSchema, req.body ?? {});
      if (jobs.usingBundle(transfers.folder(transferId))) {
        throw new HttpError(409, `transfer ${transferId} is being restored: no more files can be added`);
      }
      const added = await transfers.addFiles(transferId, body.files);
      res.json({ added: added.map(file => file.path) });
    })
  );

  router.get(
    '/api/incoming/:transferId',
    route(async (req, res) => {
      const transferId = transferIdOf(req);
      const status = await transfers.status(transferId);
      const prepare = prepared.status(transferId);
      res.json(prepare ? { ...status, prepare } : status);
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
      await prepared.end(transferId);
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
      const { open } = await transfers.status(transferId);
      await transfers.verify(transferId, open ? { required: [MANIFEST_FILE] } : undefined);
      const manifest = parseManifestText(
        await fs.readFile(path.join(folder, MANIFEST_FILE), 'utf8').catch(() => {
          throw new HttpError(409, `transfer ${transferId} has no manifest yet: send it before the restore`);
        }),
        MANIFEST_FILE
      );
      const arriving = open ? await arrivingPayloads(transferId, manifest) : undefined;
      const kernelName = body.kernelName ?? manifest.notebook.kernelName ?? null;
      const release = () => transfers.remove(transferId);
      const ready = await preparedFor(transferId, notebookPath, kernelName);
      const started = await restoreIntoNewSession(
        { ...services, kernels },
        { uri: folder, notebookPath, kernelName, release, prepared: ready, arriving }
      );
      res.status(202).json(started);
    })
  );

  /**
   * The payloads of an open transfer, some maybe still arriving: the restore starts with the
   * manifest, history and random states whole (409 otherwise) and waits for each payload it loads.
   */
  async function arrivingPayloads(transferId: string, manifest: IManifest): Promise<ArrivingPayloads> {
    const files = await transfers.files(transferId);
    const payloads = new ArrivingPayloads(
      transfers.folder(transferId),
      new Map(files.map(file => [file.path, file.bytes])),
      services.preparedTimeoutMs ?? PREPARED_TIMEOUT_MS
    );
    for (const needed of [manifest.history.file, manifest.random.file]) {
      if (!payloads.complete(needed)) {
        throw new HttpError(409, `transfer ${transferId} is incomplete: ${needed} has not arrived yet`);
      }
    }
    return payloads;
  }

  /**
   * The session prepared for this restore, once ready, when it fits the request (same notebook
   * and kernel); one that does not fit or whose preparation failed is ended and null answered,
   * so that the restore opens a session as without preparation.
   */
  async function preparedFor(transferId: string, notebookPath: string, kernelName: string | null) {
    const session = prepared.take(transferId);
    if (!session) {
      return null;
    }
    const ids = await session.ready.catch(() => null);
    const fits = session.notebookPath === notebookPath && (session.kernelName ?? kernelName) === kernelName;
    if (ids && fits) {
      return { session: ids, prepared: session };
    }
    if (ids) {
      await kernelsOf(services.kernels)
        .deleteSession(ids.sessionId)
        .catch(e => services.warn(`elastic-notebook: could not end session ${ids.sessionId}: ${errorMessage(e)}`));
    }
    return null;
  }
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
