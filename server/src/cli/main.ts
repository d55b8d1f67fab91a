import { Command, CommanderError } from 'commander';
import { recordCommand } from './commands/record';

/**
 * Entry point of `elastic-notebook`. Resolves when the command is done; throws (the bin script
 * prints one line on stderr and exits 1) on failure.
 */
export async function main(argv: string[]): Promise<void> {
  // stdout belongs to the command's result (--json); libraries' chatter goes nowhere.
  console.log = console.info = console.debug = () => undefined;
  const program = new Command('elastic-notebook')
    .description('Record, checkpoint and restore Jupyter notebook sessions')
    .exitOverride()
    .configureOutput({ writeErr: text => process.stderr.write(text) })
    .addCommand(recordCommand());
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its message (usage errors, --help).
      process.exit(err.exitCode);
    }
    throw err;
  }
  // Sockets to the server may linger; the command is done.
  process.exit(0);
}
