/**
 * Progress lines on stderr, shown only when stderr is a terminal: scripts and `--json` callers
 * see nothing but the result (stdout) and, on failure, the one error line (stderr).
 */
export class Progress {
  constructor(private readonly enabled = Boolean(process.stderr.isTTY)) {}

  /** Say what the CLI is doing now. */
  step(message: string): void {
    if (this.enabled) {
      process.stderr.write(`elastic-notebook: ${message}\n`);
    }
  }
}
