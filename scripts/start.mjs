// `npm start [-- <jupyter lab args>]`: set up on first use, then run JupyterLab with the
// extension and its companion server. Extra arguments go to `jupyter lab` unchanged.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT, VENV_BIN, setup } from './setup.mjs';

try {
  setup();
} catch (err) {
  process.stderr.write(`[setup] failed: ${err.message}\n`);
  process.exit(1);
}

const args = process.argv.slice(2);
// Jupyter refuses to run as root unless told; containers and CI machines often are root.
if (process.getuid && process.getuid() === 0 && !args.some(a => a.startsWith('--allow-root'))) {
  args.push('--allow-root');
}
const lab = spawn(path.join(VENV_BIN, 'jupyter'), ['lab', ...args], { cwd: ROOT, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => lab.kill(signal));
}
lab.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
