/** Print a command's result: one JSON object on stdout with --json, else the readable form. */
export function printResult(
  result: Record<string, unknown>,
  json: boolean,
  format: (result: Record<string, unknown>) => string
): void {
  process.stdout.write(json ? `${JSON.stringify(result)}\n` : `${format(result)}\n`);
}
