/**
 * An error meant for the user: its message is printed as the one stderr line
 * `elastic-notebook: <message>`, and the process exits with `exitCode`.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The first line of an error's message, so that every failure stays one line on stderr. */
export function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n').find(line => line.trim()) ?? text;
}
