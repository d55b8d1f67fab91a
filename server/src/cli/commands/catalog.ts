import { Command } from 'commander';
import { formatBytes } from '@elastic-notebook/protocol';
import { CheckpointListEntry, describeCheckpoint, ICheckpointDescription, listCheckpoints } from '../../storage/index';
import { openBundleStore } from '../bundleStore';
import { ICommandContext } from '../notebookSession';
import { printResult } from '../output';

/** Options of the catalog commands. */
interface ICatalogOptions {
  json?: boolean;
}

/** `list ROOT`: the checkpoints under a folder or S3 prefix, newest first. */
async function list(root: string, options: ICatalogOptions): Promise<void> {
  const checkpoints = await listCheckpoints(root);
  printResult({ root, checkpoints }, Boolean(options.json), ({ checkpoints: entries }) => formatList(root, entries));
}

function formatList(root: string, entries: CheckpointListEntry[]): string {
  if (entries.length === 0) {
    return `No checkpoints under ${root}`;
  }
  return entries
    .map(entry =>
      entry.error === null
        ? `${entry.uri}  ${entry.createdAt}  ${formatBytes(entry.bytes)}  ${entry.copiedVariables} variable(s) copied  ${entry.notebookPath ?? ''}`
        : `${entry.uri}  unreadable: ${entry.error}`
    )
    .join('\n');
}

/** `describe BUNDLE`: one checkpoint in detail, and whether every payload is there. */
async function describe(bundle: string, options: ICatalogOptions): Promise<void> {
  const description = await describeCheckpoint(bundle);
  printResult(description, Boolean(options.json), formatDescription);
}

function formatDescription(d: ICheckpointDescription): string {
  return [
    `Checkpoint ${d.checkpointId} at ${d.uri}`,
    `  created ${d.createdAt} from ${d.notebookPath ?? 'an unknown notebook'} (${d.kernelName ?? 'default kernel'})`,
    `  ${formatBytes(d.bytes)}; copied: ${d.copied.join(', ') || 'nothing'}; recomputed: ${d.recomputed.join(', ') || 'nothing'}`,
    `  a restore re-runs ${d.rerun.length} execution(s)`,
    d.complete
      ? '  every payload is present'
      : `  MISSING payloads (those groups will be recomputed): ${d.missingFiles.join(', ')}`
  ].join('\n');
}

/** `delete BUNDLE`: remove a checkpoint (its manifest first, so it stops being one at once). */
async function remove(bundle: string, options: ICatalogOptions, context: ICommandContext): Promise<void> {
  const store = await openBundleStore(bundle, context);
  await store.readManifest(); // Refuse to delete what is not a checkpoint.
  await store.delete();
  printResult({ deleted: store.uri }, Boolean(options.json), result => `Deleted ${result.deleted}`);
}

/** The `list`, `describe` and `delete` commands. */
export function catalogCommands(context: ICommandContext): Command[] {
  return [
    new Command('list')
      .description('list the checkpoints in a folder or under an s3://bucket/prefix, newest first')
      .argument('<root>', 'a folder path or s3://bucket/prefix holding bundles')
      .option('--json', 'print exactly one JSON object on stdout')
      .action((root: string, options: ICatalogOptions) => list(root, options)),
    new Command('describe')
      .description('describe one checkpoint and check that its payloads are all there')
      .argument('<bundle>', 'a folder path or s3://bucket/prefix')
      .option('--json', 'print exactly one JSON object on stdout')
      .action((bundle: string, options: ICatalogOptions) => describe(bundle, options)),
    new Command('delete')
      .description('delete a checkpoint')
      .argument('<bundle>', 'a folder path or s3://bucket/prefix')
      .option('--json', 'print exactly one JSON object on stdout')
      .action((bundle: string, options: ICatalogOptions) => remove(bundle, options, context))
  ];
}
