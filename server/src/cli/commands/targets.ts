import { Command } from 'commander';
import { formatBytes, type Target, type TargetList } from '@elastic-notebook/protocol';
import { targetListSchema } from '@elastic-notebook/protocol/schemas';
import { callServer, errorText, ServerProblem } from '../jupyterServer';
import { ICommandContext, ISessionOptions, openServer } from '../notebookSession';
import { printResult } from '../output';

/** Options of `targets`. */
interface ITargetsOptions extends Pick<ISessionOptions, 'server' | 'token'> {
  json?: boolean;
}

/** One target on one line: name, kind, reachability, then its machine's key facts. */
export function formatTarget(target: Target): string {
  const head = `${target.name}  [${target.kind}${target.url ? ` ${target.url}` : ''}]`;
  if (!target.reachable || !target.machine) {
    return `${head}  unreachable: ${target.reason ?? 'unknown reason'}`;
  }
  const m = target.machine;
  const facts = [
    `v${m.version}${target.versionMatch === false ? ' (version differs)' : ''}`,
    `${m.cpus} CPUs`,
    `memory ${formatBytes(m.memory.freeBytes)} free of ${formatBytes(m.memory.totalBytes)}`,
    m.gpus.length ? `GPU ${m.gpus.map(g => g.name).join(', ')}` : 'no GPU',
    m.disk.freeBytes === null ? 'disk unknown' : `disk ${formatBytes(m.disk.freeBytes)} free`,
    m.python ? `Python ${m.python.version}` : 'Python unknown',
    target.relativeCpuSpeed === null ? null : `CPU speed x${target.relativeCpuSpeed.toFixed(2)}`,
    target.bandwidthBytesPerSec === null
      ? null
      : `${formatBytes(target.bandwidthBytesPerSec)}/s (${target.bandwidthSource})`,
    target.moduleMismatches.length
      ? `modules differ: ${target.moduleMismatches.map(d => `${d.module} ${d.here ?? 'missing'} here, ${d.there ?? 'missing'} there`).join('; ')}`
      : null
  ];
  return `${head}  reachable  ${facts.filter(Boolean).join(', ')}`;
}

/** `targets`: the targets the server's companion knows, probed. */
async function targets(options: ITargetsOptions, context: ICommandContext): Promise<void> {
  const { server } = await openServer(process.cwd(), options, context);
  context.progress.step('probing the targets');
  const response = await callServer(server, 'elastic-notebook/api/targets');
  if (response.status !== 200) {
    throw new ServerProblem(`listing the targets failed: ${await errorText(response)}`);
  }
  const parsed = targetListSchema.safeParse(await response.json());
  if (!parsed.success) {
    throw new ServerProblem(`the server answered an unexpected target list (${parsed.error.issues[0]?.message})`);
  }
  printResult<TargetList>(parsed.data, Boolean(options.json), list => list.targets.map(formatTarget).join('\n'));
}

/** The `targets` command. */
export function targetsCommand(context: ICommandContext): Command {
  return new Command('targets')
    .description('list the targets sessions can move to: reachable or not, and their machines')
    .option('--server <url>', 'use this running Jupyter server (with the extension) instead of starting one')
    .option('--token <token>', 'API token of --server', process.env.JUPYTER_TOKEN)
    .option('--json', 'print exactly one JSON object on stdout')
    .action((options: ITargetsOptions) => targets(options, context));
}
