/**
 * Things to undo when a command ends: on success, on failure and on Ctrl-C alike.
 *
 * Steps run last-in first-out (a kernel is shut down before the server it runs on is stopped),
 * each at most once, and a failing step does not keep the others from running.
 */
export class CleanupStack {
  private readonly steps: Array<{ name: string; run: () => Promise<void> | void }> = [];

  /** Add a step; returns a function that removes it again (when its resource is handed over). */
  add(name: string, run: () => Promise<void> | void): () => void {
    const step = { name, run };
    this.steps.push(step);
    return () => {
      const at = this.steps.indexOf(step);
      if (at >= 0) {
        this.steps.splice(at, 1);
      }
    };
  }

  private running: Promise<string[]> | null = null;

  /**
   * Run every step; returns the failures as `name: message` lines (never throws). Concurrent
   * callers (the command ending while Ctrl-C arrives) share one run.
   */
  run(): Promise<string[]> {
    this.running ??= this.runSteps().finally(() => (this.running = null));
    return this.running;
  }

  private async runSteps(): Promise<string[]> {
    const failures: string[] = [];
    while (this.steps.length) {
      const step = this.steps.pop()!;
      try {
        await step.run();
      } catch (err) {
        failures.push(`${step.name}: ${(err as Error).message}`);
      }
    }
    return failures;
  }
}
