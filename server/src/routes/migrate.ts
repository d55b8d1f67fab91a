/**
 * `POST /api/kernels/:kernelId/migrate`: start migrating a kernel's session to another Jupyter
 * server running this extension, or to a JupyterHub target (whose server the job starts first), as
 * a job the UI follows (`202 {jobId, uri}`, `uri` being the target's URL). The target is a configured target's name (`target`, resolved by the companion's
 * {@link TargetResolver}) or a URL with its token (`targetUrl`, `targetToken`: the CLI's
 * `--to URL --to-token T`). Tokens never appear in answers or jobs. A different notebook at the
 * same path on the target is answered `409 {error, notebookExists: true}` unless `overwrite`.
 */
import express, { Router } from 'express';
import { existsSync, promises as fs } from 'fs';
import path from 'path';
import { migrateRequestSchema } from '@elastic-notebook/protocol/schemas';
import type { CompanionMeasurements } from '../companion/measurements';
import type { HistoryStore } from '../ahg/store';
import { HttpError, jsonBody, kernelIdOf, parse, route } from '../http';
import type { JobRegistry } from '../jobs/jobRegistry';
import { runMigrateJob } from '../jobs/migrateJob';
import type { IModuleVersions } from '../migrate/targetModules';
import { NotebookOnTarget, notebookExistsMessage, notebookOnTarget } from '../transfer/notebookCopy';
import { TargetClient } from '../transfer/targetClient';
import { ITarget, MigrationTarget, TargetResolver, targetFromUrl } from '../transfer/targets';
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
  /** The companion's checkpoint root (an S3 root shared with the target spares the direct transfer). */
  checkpointRoot?: string;
  /** This machine's module versions, compared with the target's. */
  machine?: IModuleVersions;
}

/**
 * Answer 409 `{error, notebookExists: true}` when a different notebook is at the same path on the
 * target, so that the UI asks the user before replacing it (then sends `overwrite: true`). A
 * target that cannot be asked now is left to the job, which checks it first and says what is wrong.
 */
async function refuseIfNotebookDiffers(baseDir: string, notebookPath: string, target: ITarget): Promise<void> {
  const client = new TargetClient(target);
  let existing: NotebookOnTarget;
  try {
    const text = await fs.readFile(path.resolve(baseDir, ...notebookPath.split('/')), 'utf8');
    existing = await notebookOnTarget(client, notebookPath, text, AbortSignal.timeout(10_000));
  } catch {
    return;
  }
  if (existing === 'different') {
    throw new HttpError(409, notebookExistsMessage(notebookPath, client.label), { body: { notebookExists: true } });
  }
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
      const target: MigrationTarget =
        body.targetUrl !== undefined
          ? targetFromUrl(body.targetUrl, body.targetToken ?? '')
          : await services.resolveTarget(body.target!);
      // A Hub target's server may not run yet: its job checks the notebook once it does.
      if (body.overwrite !== true && target.kind === 'jupyter') {
        await refuseIfNotebookDiffers(services.baseDir, notebookPath, target);
      }
      const request = {
        kernelId,
        target,
        objective: body.objective,
        marks: body.marks,
        notebookPath,
        kernelName: body.kernelName ?? null,
        overwrite: body.overwrite === true,
        stopSource: body.stopSource === true,
        ...(body.pricing ? { pricing: body.pricing } : {})
      };
      const jobServices = {
        history: services.history,
        kernels,
        measurements: services.measurements,
        baseDir: services.baseDir,
        dataDir: services.dataDir,
        ackTimeoutMs: services.ackTimeoutMs,
        chunkBytes: services.chunkBytes,
        checkpointRoot: services.checkpointRoot,
        machine: services.machine
      };
      startJob(res, () =>
        jobs.start('migrate', kernelId, target.url, context => runMigrateJob(jobServices, request, context))
      );
    })
  );
}
