import { z } from 'zod';
import { CliError } from './cliError';
import { IJupyterServer, ServerProblem, callServer, errorText } from './jupyterServer';

const names = z.array(z.string());

/** The AHG JSON the companion serves (docs/internals.md section 6); extra fields pass through. */
export const historyGraphSchema = z.looseObject({
  kernelId: z.string().optional(),
  runId: z.string().optional(),
  executions: z.array(
    z.looseObject({
      index: z.number().int(),
      cellIndex: z.number().int().nullable(),
      durationMs: z.number(),
      error: z.string().nullable(),
      reads: names,
      writes: names,
      deletes: names
    })
  ),
  variables: z.array(
    z.looseObject({
      name: z.string(),
      version: z.number().int(),
      producedBy: z.number().int().nullable(),
      active: z.boolean()
    })
  ),
  groups: z.array(names)
});

/** The Application History Graph of one kernel run. */
export type HistoryGraph = z.infer<typeof historyGraphSchema>;

/**
 * Poll the companion (through the Jupyter server) until the graph of the kernel's current run
 * holds `count` executions, and return it. The agent sends records from a background thread, so
 * they can arrive a little after the cell's reply.
 */
export async function waitForGraph(
  server: IJupyterServer,
  kernelId: string,
  count: number,
  timeoutMs: number,
  explain: () => Promise<string>
): Promise<HistoryGraph> {
  const deadline = Date.now() + timeoutMs;
  let have = 'none';
  for (;;) {
    const response = await callServer(server, `elastic-notebook/api/kernels/${kernelId}/graph`);
    if (response.ok) {
      const parsed = historyGraphSchema.safeParse(await response.json().catch(() => null));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new CliError(`the companion sent a malformed history graph (${issue.path.join('.')}: ${issue.message})`);
      }
      if (parsed.data.executions.length >= count) {
        return parsed.data;
      }
      have = String(parsed.data.executions.length);
    } else if (response.status !== 404) {
      // 404: nothing recorded for this kernel yet. Anything else will not get better by waiting.
      throw new ServerProblem(`could not get the history graph: ${await errorText(response)}`);
    } else {
      await response.arrayBuffer();
      if (count === 0) {
        // Nothing was run (a notebook without code), so nothing will ever be recorded.
        return { kernelId, executions: [], variables: [], groups: [] };
      }
    }
    if (Date.now() > deadline) {
      const detail = await explain().catch(() => '');
      throw new CliError(
        `the companion has ${have} of ${count} executions after ${timeoutMs / 1000} s${detail ? ` (${detail})` : ''}`
      );
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}
