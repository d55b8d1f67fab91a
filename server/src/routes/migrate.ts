/**
 * `POST /api/kernels/:kernelId/migrate`: start migrating a kernel's session to another Jupyter
 * server running this extension, as a job the UI follows (`202 {jobId, uri}`, `uri` being the
 * target's URL). The target is a configured target's name (`target`, resolved by the companion's
 * {@link TargetResolver}) or a URL with its token (`targetUrl`, `targetToken`: the CLI's
 * `--to URL --to-token T`). Tokens never appear in answers or jobs.
 */
import express, { Router } from 'express';
import { existsSync } from 'fs';
import path from 'path';
import { migrateRequestSchema } from '@elastic-notebook/protocol/schemas';
import type { CompanionMeasurements } from '../companion/measurements';
import type { HistoryStore } from '../ahg/store';
import { HttpError, jsonBody, kernelIdOf, parse, route } from '../http';
import type { JobRegistry } from '../jobs/jobRegistry';
import { runMigrateJob } from '../jobs/migrateJob';
import { ITarget, TargetResolver, targetFromUrl } from '../transfer/targets';
import { relativeNotebookPath } from './incoming';
import { IKernelReach, kernelsOf, startJob } from './jobRequests';

/** What the migrate route needs. */
export interface IMigrateRouterServices {
  history: HistoryStore;
  jobs: JobRegistry;
  kernels: IKernelReach;
  measurements: CompanionMeasurements;
  resolveTarget: TargetResolver;
  dataDir: string;
  /** The Jupyter root: notebook paths are relative to it. */
  baseDir: string;
  ackTimeoutMs?: number;
  chunkBytes?: number;
}

/** The migrate route, to mount after the secret check. */
export function migrateRouter(services: IMigrateRouterServices): Router {
  const { jobs } = services;
  return express.Router().post(
    '/api/kernels/:kernelId/migrate',
    jsonBody('1mb'),
    route(async (req, res) => {
      const kernelId = kernelIdOf(req);
      const body = parse(migrateRequestSchema, req.body ?? {});
      const notebookPath = relativeNotebookPath(body.notebookPath);
      if (!existsSync(path.resolve(services.baseDir, ...notebookPath.split('/')))) {
        throw new HttpError(400, `notebookPath: ${notebookPath} is not in the Jupyter root folder (save it first)`);
      }
      const kernels = kernelsOf(services.kernels);
      const target: ITarget =
        body.targetUrl !== undefined
          ? targetFromUrl(body.targetUrl, body.targetToken ?? '')
          : await services.resolveTarget(body.target!);
      const request = {
        kernelId,
        target,
        objective: body.objective,
        marks: body.marks,
        notebookPath,
        kernelName: body.kernelName ?? null,
        overwrite: body.overwrite === true
      };
      const jobServices = {
        history: services.history,
        kernels,
        measurements: services.measurements,
        baseDir: services.baseDir,
        dataDir: services.dataDir,
        ackTimeoutMs: services.ackTimeoutMs,
        chunkBytes: services.chunkBytes
      };
      startJob(res, () =>
        jobs.start('migrate', kernelId, target.url, context => runMigrateJob(jobServices, request, context))
      );
    })
  );
}
