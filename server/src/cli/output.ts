/**
 * Print a command's result: with --json exactly one JSON object on stdout (nothing else is ever
 * written there), else the readable form.
 */
export function printResult<T>(result: T, json: boolean, format: (result: T) => string): void {
  process.stdout.write(json ? `${JSON.stringify(result)}\n` : `${format(result)}\n`);
}
