import { AddressInfo } from 'net';
import os from 'os';
import path from 'path';
import { createApp } from './app';

/**
 * Companion process entry. Configured by environment (set by the Jupyter server extension):
 * ELASTIC_NOTEBOOK_SECRET (required), ELASTIC_NOTEBOOK_PORT (0 = any free port),
 * ELASTIC_NOTEBOOK_DATA_DIR, ELASTIC_NOTEBOOK_EXIT_ON_STDIN_CLOSE=1 to die with the parent.
 * Prints one JSON line `{"event":"listening","port":N,"pid":P}` on stdout once listening.
 */
function main(): void {
  const secret = process.env.ELASTIC_NOTEBOOK_SECRET;
  if (!secret) {
    process.stderr.write('elastic-notebook companion: ELASTIC_NOTEBOOK_SECRET is not set\n');
    process.exit(2);
  }
  const port = Number(process.env.ELASTIC_NOTEBOOK_PORT ?? 0);
  const dataDir = process.env.ELASTIC_NOTEBOOK_DATA_DIR || path.join(os.homedir(), '.elastic-notebook');
  const { app } = createApp({ secret, dataDir });
  const server = app.listen(port, '127.0.0.1', () => {
    const address = server.address() as AddressInfo;
    process.stdout.write(`${JSON.stringify({ event: 'listening', port: address.port, pid: process.pid })}\n`);
  });
  server.on('error', err => {
    process.stderr.write(`elastic-notebook companion: cannot listen: ${err.message}\n`);
    process.exit(1);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    // Idle keep-alive connections must not hold the process.
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (process.env.ELASTIC_NOTEBOOK_EXIT_ON_STDIN_CLOSE === '1') {
    process.stdin.on('end', stop).on('close', stop).resume();
  }
}

main();
