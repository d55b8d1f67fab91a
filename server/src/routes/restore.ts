/**
 * `POST /api/kernels/:kernelId/restore`: start restoring a bundle into a kernel (restarted first),
 * as a job the UI follows (`202 {jobId}`). Bundles contain pickles, so one from outside the
 * checkpoint root needs the caller's explicit `"trust": true`.
 */
import express, { Router } from 'express';
import type { CheckpointLocations } from '../companion/checkpointLocations';
import type { CompanionMeasurements } from '../companion/measurements';
import { HttpError, jsonBody, kernelIdOf, parse, route } from '../http';
import type { JobRegistry } from '../jobs/jobRegistry';
import { runRestoreJob } from '../jobs/restoreJob';
import { restoreRequestSchema } from '../schemas';
import { IKernelReach, kernelsOf, refuseIfBundleBusy, s3Options, startJob } from './jobRequests';

/** What the restore route needs. */
export interface IRestoreRouterServices {
  jobs: JobRegistry;
  locations: CheckpointLocations;
  kernels: IKernelReach;
  measurements: CompanionMeasurements;
  /** Folder relative paths are resolved against. */
  baseDir: string;
}

/** The restore route, to mount after the secret check. */
export function restoreRouter(services: IRestoreRouterServices): Router {
  const { jobs, locations, measurements, baseDir } = services;
  return express.Router().post(
    '/api/kernels/:kernelId/restore',
    jsonBody('1mb'),
    route(async (req, res) => {
      const kernelId = kernelIdOf(req);
      const body = parse(restoreRequestSchema, req.body ?? {});
      const kernels = kernelsOf(services.kernels);
      const uri = locations.bundle(body.uri);
      if (locations.needsTrust(uri) && body.trust !== true) {
        throw new HttpError(
          400,
          `${uri} is outside the checkpoint root ${locations.defaultRoot}; bundles contain pickles, which run code when ` +
            'loaded: restore it only if you or someone you trust wrote it, and confirm with "trust": true',
          { body: { trustRequired: true } }
        );
      }
      refuseIfBundleBusy(jobs, uri);
      const request = { kernelId, uri, s3: s3Options(body.s3) };
      startJob(res, () =>
        jobs.start('restore', kernelId, uri, context =>
          runRestoreJob({ kernels, measurements, baseDir }, request, context)
        )
      );
    })
  );
}
