// Sets up a fresh checkout: project-local Python venv from PyPI, npm packages, builds, extension
// registration, and (for tests) Chromium from Debian. Every step is skipped when its inputs have
// not changed since it last succeeded, so a second run takes well under a second.
//
// Uses Node built-ins only: it runs before node_modules exists.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const VENV = path.join(ROOT, '.venv');
export const VENV_BIN = path.join(VENV, process.platform === 'win32' ? 'Scripts' : 'bin');
const STAMPS = path.join(ROOT, '.setup-stamps');

const log = msg => process.stderr.write(`[setup] ${msg}\n`);

/** Run a command, inheriting stdio; throw with a clear message if it fails. */
export function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', ...options });
  if (result.error) {
    throw new Error(`${cmd} could not be started: ${result.error.message}`);
  }
  if (result.status !== 0) {
    throw new Error(`\`${[cmd, ...args].join(' ')}\` failed with exit code ${result.status}`);
  }
  return result;
}

/** Hash of the given files and folders' contents (missing ones count as empty). */
function hashInputs(inputs) {
  const hash = createHash('sha256');
  const visit = rel => {
    const abs = path.join(ROOT, rel);
    if (!fs.existsSync(abs)) {
      hash.update(`missing:${rel}\n`);
      return;
    }
    const stat = fs.statSync(abs);
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(abs).sort()) {
        if (entry === 'node_modules' || entry === '__pycache__' || entry.startsWith('.')) {
          continue;
        }
        visit(path.join(rel, entry));
      }
    } else {
      hash.update(`${rel}\n`);
      hash.update(fs.readFileSync(abs));
    }
  };
  inputs.forEach(visit);
  return hash.digest('hex');
}

/** Run `action` unless the stamp for `name` matches the hash of `inputs` (and `outputs` exist). */
function step(name, inputs, outputs, action) {
  const stampFile = path.join(STAMPS, name);
  const digest = hashInputs(inputs);
  const fresh =
    fs.existsSync(stampFile) &&
    fs.readFileSync(stampFile, 'utf8') === digest &&
    outputs.every(o => fs.existsSync(path.join(ROOT, o)));
  if (fresh) {
    return;
  }
  log(`${name}...`);
  const started = Date.now();
  action();
  fs.mkdirSync(STAMPS, { recursive: true });
  // Inputs may be rewritten by the action itself (package-lock.json), so hash again.
  fs.writeFileSync(stampFile, hashInputs(inputs));
  log(`${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function findPython() {
  for (const candidate of [process.env.PYTHON, 'python3', 'python']) {
    if (candidate && spawnSync(candidate, ['--version'], { stdio: 'ignore' }).status === 0) {
      return candidate;
    }
  }
  throw new Error('Python 3 not found: install python3 (with venv) or set PYTHON');
}

function pythonEnv() {
  step('python', ['pyproject.toml'], ['.venv/bin/jupyter-lab'], () => {
    if (!fs.existsSync(path.join(VENV_BIN, 'python'))) {
      run(findPython(), ['-m', 'venv', VENV]);
    }
    const pip = path.join(VENV_BIN, 'pip');
    run(pip, ['install', '--quiet', '--disable-pip-version-check', '-e', '.[dev]']);
  });
}

function npmPackages() {
  step('npm', ['package.json', 'server/package.json', 'package-lock.json'], ['node_modules/.bin/tsc'], () => {
    const lock = fs.existsSync(path.join(ROOT, 'package-lock.json'));
    run('npm', [lock ? 'ci' : 'install', '--no-audit', '--no-fund'], {
      env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' }
    });
  });
}

function build() {
  const tsc = path.join(ROOT, 'node_modules', '.bin', 'tsc');
  // The wire contract first: the companion and the frontend compile against its declarations,
  // and the Python tests read the JSON Schema it writes.
  step(
    'build-protocol',
    ['protocol/src', 'protocol/scripts', 'protocol/tsconfig.json'],
    ['protocol/lib/index.d.ts', 'protocol/lib/json-schema/record-batch.json'],
    () => {
      run(tsc, ['-p', 'protocol']);
      run(process.execPath, [path.join(ROOT, 'protocol', 'scripts', 'writeJsonSchema.js')]);
    }
  );
  step('build-server', ['protocol/src', 'server/src', 'server/tsconfig.json'], ['server/lib/main.js'], () => {
    run(tsc, ['-p', 'server']);
  });
  step(
    'build-labextension',
    ['protocol/src', 'src', 'schema', 'style', 'package.json', 'tsconfig.json'],
    ['elastic_notebook/labextension/package.json'],
    () => {
      run(tsc, ['-p', '.']);
      // Build against the installed JupyterLab's own core metadata (no download of core-meta).
      const staging = spawnSync(
        path.join(VENV_BIN, 'python'),
        ['-c', 'import jupyterlab, os; print(os.path.join(os.path.dirname(jupyterlab.__file__), "staging"))'],
        { encoding: 'utf8' }
      ).stdout.trim();
      run(path.join(VENV_BIN, 'jupyter-builder'), [
        'build',
        '.',
        '--development=False',
        `--core-package-file=${path.join(staging, 'package.json')}`
      ]);
    }
  );
}

/**
 * Make the venv's Jupyter find the extension: link the labextension and enable the server
 * extension (an editable install does not copy shared data).
 */
function register() {
  const labext = path.join(VENV, 'share', 'jupyter', 'labextensions', 'elastic-notebook');
  const target = path.join(ROOT, 'elastic_notebook', 'labextension');
  let current = null;
  try {
    current = fs.readlinkSync(labext);
  } catch {
    current = null;
  }
  if (current !== target) {
    fs.mkdirSync(path.dirname(labext), { recursive: true });
    fs.rmSync(labext, { recursive: true, force: true });
    fs.symlinkSync(target, labext, 'dir');
    log('linked the labextension into the venv');
  }
  const confDir = path.join(VENV, 'etc', 'jupyter', 'jupyter_server_config.d');
  const conf = path.join(confDir, 'elastic_notebook.json');
  const wanted = fs.readFileSync(path.join(ROOT, 'jupyter-config', 'server-config', 'elastic_notebook.json'), 'utf8');
  if (!fs.existsSync(conf) || fs.readFileSync(conf, 'utf8') !== wanted) {
    fs.mkdirSync(confDir, { recursive: true });
    fs.writeFileSync(conf, wanted);
    log('enabled the server extension in the venv');
  }
}

/** Chromium from Debian for the UI tests (Playwright's own browser download is not used). */
export function ensureChromium() {
  if (fs.existsSync('/usr/bin/chromium')) {
    return;
  }
  log('installing Chromium from Debian (apt-get)...');
  const asRoot = !process.getuid || process.getuid() === 0;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (...args) => (asRoot ? run('apt-get', args, { env }) : run('sudo', ['apt-get', ...args], { env }));
  apt('update', '-qq');
  apt('install', '-y', '-qq', 'chromium');
}

/** Everything `npm start` needs. */
export function setup() {
  pythonEnv();
  npmPackages();
  build();
  register();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    setup();
    if (process.argv.includes('--with-browser')) {
      ensureChromium();
    }
  } catch (err) {
    process.stderr.write(`[setup] failed: ${err.message}\n`);
    process.exit(1);
  }
}
