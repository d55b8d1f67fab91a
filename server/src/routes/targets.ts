/**
 * The targets a session can move to (docs/internals.md section 5): listed with their facts,
 * and the Jupyter servers added from the panel. Answers never carry a token.
 *
 * | method, path | what |
 * | --- | --- |
 * | `GET /api/targets[?kernelId=]` | `{targets}`, each probed (`targetSchema`); with a kernel, its session's modules compared |
 * | `GET /api/targets/:name` | `{name, kind, url}` of one target, not probed (404 unknown): a quick check before a migration |
 * | `POST /api/targets` | add a Jupyter server `{name, url, token}`: `201` the listed target |
 * | `DELETE /api/targets/:name` | remove a panel-added target: `{deleted: name}` (403 others, 404 unknown) |
 */
import { addTargetRequestSchema, idSchema } from '@elastic-notebook/protocol/schemas';
import express, { Router } from 'express';
import type { HistoryStore } from '../ahg/store';
import { HttpError, jsonBody, parse, route } from '../http';
import { sessionModules } from '../targets/sessionModules';
import type { TargetLister } from '../targets/targetLister';
import { probeMachine } from '../targets/targetProbe';
import { TargetRegistry, withSlash } from '../targets/targetRegistry';

/** What the target routes use. */
export interface ITargetRoutesOptions {
  registry: TargetRegistry;
  lister: TargetLister;
  history: HistoryStore;
  /** How long the check of an added target may take, ms. */
  timeoutMs?: number;
}

/** The target routes, to mount after the secret check. */
export function targetsRouter(options: ITargetRoutesOptions): Router {
  const { registry, lister, history } = options;
  const router = express.Router();

  router.get(
    '/api/targets',
    route(async (req, res) => {
      const kernelId = req.query.kernelId === undefined ? null : parse(idSchema, req.query.kernelId, 'kernelId');
      const modules = kernelId ? await sessionModules(history, kernelId) : [];
      res.json(await lister.list(modules));
    })
  );

  router.get(
    '/api/targets/:name',
    route(async (req, res) => {
      const { name, kind, url } = await registry.resolve(String(req.params.name));
      res.json({ name, kind, url });
    })
  );

  router.post(
    '/api/targets',
    jsonBody('64kb'),
    route(async (req, res) => {
      const request = parse(addTargetRequestSchema, req.body);
      const url = withSlash(request.url);
      await registry.checkNameFree(request.name);
      // A refused token or a server without the extension is a mistake to say now, not a
      // target to store: an unreachable one is stored (it may be down for now).
      const probed = await probeMachine(url, request.token, [], options.timeoutMs ?? 5000);
      if (!probed.ok && (/^40[13]: /.test(probed.reason) || probed.reason.startsWith('not an Elastic Notebook'))) {
        throw new HttpError(400, `${request.url}: ${probed.reason}`);
      }
      await registry.add({ ...request, url });
      const added = (await registry.snapshot()).targets.find(t => t.resolved.name === request.name);
      if (!added) {
        throw new HttpError(500, 'the added target is not listed');
      }
      res.status(201).json(await lister.describe(added, await lister.here([]), []));
    })
  );

  router.delete(
    '/api/targets/:name',
    route(async (req, res) => {
      const name = String(req.params.name);
      await registry.remove(name);
      res.json({ deleted: name });
    })
  );
  return router;
}
