import { AddressInfo } from 'net';
import os from 'os';
import path from 'path';
import { createCompanion } from './companion/createCompanion';
import { optionsFromEnvironment } from './companion/fromEnvironment';

/**
 * Companion process entry. Configured by environment (set by the Jupyter server extension):
 * ELASTIC_NOTEBOOK_SECRET (required), ELASTIC_NOTEBOOK_PORT (0 = any free port),
 * ELASTIC_NOTEBOOK_DATA_DIR, ELASTIC_NOTEBOOK_EXIT_ON_STDIN_CLOSE=1 to die with the parent;
 * ELASTIC_NOTEBOOK_JUPYTER_URL (the Jupyter server's internal routes, for checkpoints and
 * restores), ELASTIC_NOTEBOOK_JUPYTER_ROOT (its root folder) and ELASTIC_NOTEBOOK_CHECKPOINT_ROOT.
 * Prints one JSON line `{"event":"listening","port":N,"pid":P}` on stdout once listening.
 */
function main(): void {
  const secret = process.env.ELASTIC_NOTEBOOK_SECRET;
  if (!secret) {
    process.stderr.write('elastic-notebook companion: ELASTIC_NOTEBOOK_SECRET is not set\n');
    process.exit(2);
  }
  const portText = process.env.ELASTIC_NOTEBOOK_PORT || '0';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    process.stderr.write(
      `elastic-notebook companion: ELASTIC_NOTEBOOK_PORT must be 0-65535, got ${JSON.stringify(portText)}\n`
    );
    process.exit(2);
  }
  const dataDir = process.env.ELASTIC_NOTEBOOK_DATA_DIR || path.join(os.homedir(), '.elastic-notebook');
  const { app } = createCompanion({ secret, dataDir, ...optionsFromEnvironment(process.env, secret) });
  const server = app.listen(port, '127.0.0.1', () => {
    const address = server.address() as AddressInfo;
    process.stdout.write(`${JSON.stringify({ event: 'listening', port: address.port, pid: process.pid })}\n`);
    process.stderr.write(`elastic-notebook companion: listening on 127.0.0.1:${address.port}, data in ${dataDir}\n`);
  });
  server.on('error', err => {
    process.stderr.write(`elastic-notebook companion: cannot listen: ${err.message}\n`);
    process.exit(1);
  });
  const stop = () => {
    // Let requests in flight finish (an ingest acks only after its fsync), but drop idle
    // keep-alive connections, and never hang on a stuck client.
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (process.env.ELASTIC_NOTEBOOK_EXIT_ON_STDIN_CLOSE === '1') {
    process.stdin.on('end', stop).on('close', stop).resume();
  }
}

main();
