/** Progress lines on stderr, only when stderr is a terminal (never mixed into --json stdout). */
export class Progress {
  constructor(private readonly enabled = Boolean(process.stderr.isTTY)) {}

  step(message: string): void {
    if (this.enabled) {
      process.stderr.write(`elastic-notebook: ${message}\n`);
    }
  }
}
