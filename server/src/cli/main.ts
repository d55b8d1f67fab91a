import { Command, CommanderError } from 'commander';
import { CleanupStack } from './cleanup';
import { CliError, oneLine } from './cliError';
import { catalogCommands } from './commands/catalog';
import { checkpointCommand } from './commands/checkpoint';
import { migrateCommand } from './commands/migrate';
import { recordCommand } from './commands/record';
import { restoreCommand } from './commands/restore';
import { targetsCommand } from './commands/targets';
import { ICommandContext } from './notebookSession';
import { Progress } from './progress';
import { packageVersion } from '../version';

/** Build the program with every command. */
export function createProgram(context: ICommandContext): Command {
  const program = new Command('elastic-notebook')
    .description(
      'Record, checkpoint, restore and migrate Jupyter notebook sessions, and list the targets they can move to'
    )
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .exitOverride()
    .configureOutput({
      // Usage errors become the CLI's one-line error format.
      outputError: (text, write) =>
        write(
          `elastic-notebook: ${text
            .replace(/^error: /, '')
            .trim()
            .replace(/\s*\n\s*/g, ' ')}\n`
        )
    });
  for (const command of [
    recordCommand(context),
    checkpointCommand(context),
    restoreCommand(context),
    migrateCommand(context),
    ...catalogCommands(context),
    targetsCommand(context)
  ]) {
    program.addCommand(command.copyInheritedSettings(program));
  }
  return program;
}

/**
 * Entry point of `elastic-notebook` (called by bin/elastic-notebook.js). Exits the process:
 * 0 on success; on failure 1 (or the error's code) after one line `elastic-notebook: <what went
 * wrong>` on stderr; 130/143 on Ctrl-C/SIGTERM, after stopping whatever it started.
 */
export async function main(argv: string[]): Promise<void> {
  // stdout belongs to the command's result and stderr to the one error line: libraries'
  // console chatter ("Connection lost, reconnecting...") must reach neither.
  console.log = console.info = console.debug = console.warn = console.error = () => undefined;
  // The AWS SDK warns on stderr about Node 20's end of support; stderr is for our one error line.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // @jupyterlab/services leaves some promises unobserved (a pending reconnect rejects when the
  // connection is disposed after the kernel died). Collect them instead of crashing mid-cleanup;
  // one that surfaces while the command otherwise succeeds still fails it.
  const stray: unknown[] = [];
  process.on('unhandledRejection', reason => stray.push(reason));
  const cleanup = new CleanupStack();
  const progress = new Progress();
  let signalled: NodeJS.Signals | null = null;
  /** Undo what was started, then exit; after a signal, with the signal's code whatever else happened. */
  const finish = async (code: number): Promise<never> => {
    const failures = await cleanup.run();
    if (stray.length && code === 0) {
      failures.push(`unexpected error: ${oneLine(stray[0])}`);
    }
    if (failures.length && code === 0) {
      process.stderr.write(`elastic-notebook: ${failures[0]}\n`);
      code = 1;
    }
    process.exit(signalled ? (signalled === 'SIGINT' ? 130 : 143) : code);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (!signalled) {
      signalled = signal;
      process.stderr.write(`elastic-notebook: interrupted (${signal}); stopping what was started\n`);
      void finish(1);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let code = 0;
  try {
    await createProgram({ cleanup, progress }).parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      code = err.exitCode; // Commander already printed the usage error (or the help).
    } else if (!signalled) {
      // (After a signal, errors are the teardown's echo: the one line was already written.)
      process.stderr.write(`elastic-notebook: ${oneLine(err)}\n`);
      code = err instanceof CliError ? err.exitCode : 1;
    }
  }
  await finish(code);
}
