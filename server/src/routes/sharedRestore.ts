/**
 * The target side of a migration through the S3 store both companions share
 * (server/src/transfer/sharedStore.ts):
 *
 * | method, path | what |
 * | --- | --- |
 * | `POST /api/incoming/restore-shared` | `{uri, notebookPath, kernelName?}`: `202 {jobId, kernelId, sessionId}` |
 *
 * No trust confirmation is asked, as for an incoming transfer, and for the same reasons plus one:
 * the caller holds this server's Jupyter token (the route is reached only through its
 * authenticated proxy), so it can run any code in its kernels anyway, and the URI must be inside
 * THIS companion's own store (the bucket of its S3 checkpoint root, read with its own endpoint
 * and credentials): a place its operator chose for checkpoints, never a folder of this machine
 * nor another bucket or endpoint (any other URI is a 400, before anything starts). The bundle is
 * a copy in transit: it is removed when the restore job ends, whatever the outcome.
 */
import express, { Router } from 'express';
import { sharedRestoreRequestSchema } from '@elastic-notebook/protocol/schemas';
import { errorMessage } from '../bundle/errors';
import { parseBundleUri } from '../bundle/bundleUri';
import { HttpError, jsonBody, parse, route } from '../http';
import { insideStore, removeSharedBundle } from '../transfer/sharedStore';
import { ISessionRestoreServices, restoreIntoNewSession } from '../transfer/sessionRestore';
import { relativeNotebookPath } from './incoming';
import { IKernelReach, kernelsOf } from './jobRequests';

/** What the shared-store restore route needs. */
export interface ISharedRestoreRouterServices extends Omit<ISessionRestoreServices, 'kernels'> {
  kernels: IKernelReach;
  /** This companion's checkpoint root: only bundles in its S3 bucket are restored. */
  checkpointRoot: string;
}

/** The shared-store restore route, to mount after the secret check. */
export function sharedRestoreRouter(services: ISharedRestoreRouterServices): Router {
  return express.Router().post(
    '/api/incoming/restore-shared',
    jsonBody('1mb'),
    route(async (req, res) => {
      const body = parse(sharedRestoreRequestSchema, req.body ?? {});
      const notebookPath = relativeNotebookPath(body.notebookPath);
      let uri: string;
      try {
        uri = parseBundleUri(body.uri).uri;
      } catch (err) {
        throw new HttpError(400, `uri: ${errorMessage(err)}`);
      }
      if (!insideStore(uri, services.checkpointRoot)) {
        throw new HttpError(
          400,
          /^s3:\/\//.test(services.checkpointRoot)
            ? `uri: ${uri} is not in this server's checkpoint store (${services.checkpointRoot}); send the bundle directly`
            : "uri: this server's checkpoints are in a local folder, not in an S3 store; send the bundle directly"
        );
      }
      const kernels = kernelsOf(services.kernels);
      if (services.jobs.usingBundle(uri)) {
        throw new HttpError(409, `${uri} is already being restored`);
      }
      const started = await restoreIntoNewSession(
        { ...services, kernels },
        {
          uri,
          notebookPath,
          kernelName: body.kernelName ?? null,
          release: () =>
            removeSharedBundle(uri).catch(err =>
              services.warn(`elastic-notebook: could not remove the bundle in transit ${uri}: ${errorMessage(err)}`)
            )
        }
      );
      res.status(202).json(started);
    })
  );
}
