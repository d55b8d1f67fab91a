// `npm run bench -- <name> [args]`: set up on first use, then run bench/<name>.mjs (Node) or
// bench/<name>.py (the project's Python). Without a name, lists the benchmarks.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, VENV_BIN, setup } from './setup.mjs';

const benchDir = path.join(ROOT, 'bench');
const available = fs
  .readdirSync(benchDir)
  .filter(f => /^[a-z][a-z0-9-]*\.(mjs|py)$/.test(f))
  .map(f => f.replace(/\.(mjs|py)$/, ''));
const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  process.stderr.write(
    `${name ? `unknown benchmark '${name}'. ` : ''}usage: npm run bench -- <${available.join('|')}> [args]\n`
  );
  process.exit(name ? 1 : 0);
}
try {
  setup();
} catch (err) {
  process.stderr.write(`[setup] failed: ${err.message}\n`);
  process.exit(1);
}
const script = fs.existsSync(path.join(benchDir, `${name}.mjs`))
  ? ['node', [path.join(benchDir, `${name}.mjs`), ...args]]
  : [path.join(VENV_BIN, 'python'), [path.join(benchDir, `${name}.py`), ...args]];
const env = { ...process.env, PATH: `${VENV_BIN}${path.delimiter}${process.env.PATH}` };
const result = spawnSync(script[0], script[1], { cwd: ROOT, stdio: 'inherit', env });
process.exit(result.status ?? 1);
