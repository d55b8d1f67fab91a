// `npm test [-- --only lint,jest,pytest,ui]`: set up on first use, run every suite (the linters,
// jest, pytest, Galata in Chromium), then print one total line `N passed, N failed[, N skipped]` and exit
// non-zero if anything failed or a suite could not report its results.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, VENV_BIN, ensureChromium, setup } from './setup.mjs';

const onlyArg = process.argv.find(a => a.startsWith('--only'));
const only = onlyArg
  ? (onlyArg.includes('=') ? onlyArg.split('=')[1] : process.argv[process.argv.indexOf(onlyArg) + 1]).split(',')
  : ['lint', 'jest', 'pytest', 'ui'];

try {
  setup();
  if (only.includes('ui')) {
    ensureChromium();
  }
} catch (err) {
  process.stderr.write(`[setup] failed: ${err.message}\n`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'elastic-notebook-test-'));
const env = {
  ...process.env,
  PATH: `${VENV_BIN}${path.delimiter}${process.env.PATH}`,
  ELASTIC_NOTEBOOK_JUPYTER: path.join(VENV_BIN, 'jupyter'),
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1'
};

/** Run one suite; `parse` turns its report file into {passed, failed, skipped}. */
function suite(name, cmd, args, reportFile, parse, extraEnv = {}) {
  process.stderr.write(`\n=== ${name} ===\n`);
  const started = Date.now();
  const result = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', env: { ...env, ...extraEnv } });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  let counts;
  try {
    counts = parse(fs.readFileSync(reportFile, 'utf8'));
  } catch (err) {
    process.stderr.write(`${name}: no results (${err.message}); counted as one failure\n`);
    return { passed: 0, failed: 1, skipped: 0 };
  }
  if (result.status !== 0 && counts.failed === 0) {
    process.stderr.write(`${name}: exited with ${result.status} although no test failed; counted as one failure\n`);
    counts.failed = 1;
  }
  process.stderr.write(
    `${name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped (${seconds} s)\n`
  );
  return counts;
}

/** Run one check that reports nothing but its exit status: one test, passed or failed. */
function check(name, cmd, args) {
  process.stderr.write(`\n=== ${name} ===\n`);
  const result = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', env });
  const passed = result.status === 0;
  process.stderr.write(
    `${name}: ${passed ? 'passed' : `failed (exit ${result.status}); \`npm run lint\` fixes most`}\n`
  );
  return { passed: passed ? 1 : 0, failed: passed ? 0 : 1, skipped: 0 };
}

const parsers = {
  jest: text => {
    const r = JSON.parse(text);
    return {
      passed: r.numPassedTests,
      // A suite that fails to load has no failed tests but must count.
      failed: r.numFailedTests + r.numRuntimeErrorTestSuites,
      skipped: r.numPendingTests + r.numTodoTests
    };
  },
  junit: text => {
    const attr = name => {
      const m = text.match(new RegExp(`<testsuite[^>]*\\s${name}="(\\d+)"`));
      return m ? Number(m[1]) : 0;
    };
    const total = attr('tests');
    const failed = attr('failures') + attr('errors');
    const skipped = attr('skipped');
    return { passed: total - failed - skipped, failed, skipped };
  },
  playwright: text => {
    const s = JSON.parse(text).stats;
    return { passed: s.expected + s.flaky, failed: s.unexpected, skipped: s.skipped };
  }
};

const totals = { passed: 0, failed: 0, skipped: 0 };
const add = c => {
  totals.passed += c.passed;
  totals.failed += c.failed;
  totals.skipped += c.skipped;
};

if (only.includes('lint')) {
  const bin = name => path.join(ROOT, 'node_modules', '.bin', name);
  add(check('lint (Prettier)', bin('prettier'), ['--check', '.']));
  add(check('lint (ESLint)', bin('eslint'), ['--max-warnings', '0', '.']));
}
if (only.includes('jest')) {
  const out = path.join(reports, 'jest.json');
  add(
    suite(
      'jest',
      path.join(ROOT, 'node_modules', '.bin', 'jest'),
      ['--ci', '--json', `--outputFile=${out}`],
      out,
      parsers.jest
    )
  );
}
if (only.includes('pytest')) {
  const out = path.join(reports, 'pytest.xml');
  add(
    suite(
      'pytest',
      path.join(VENV_BIN, 'python'),
      ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', `--junitxml=${out}`],
      out,
      parsers.junit
    )
  );
}
if (only.includes('ui')) {
  const out = path.join(reports, 'playwright.json');
  add(
    suite(
      'ui (Galata, Chromium)',
      path.join(ROOT, 'node_modules', '.bin', 'playwright'),
      ['test', '--config', path.join('ui-tests', 'playwright.config.js'), '--reporter=list,json'],
      out,
      parsers.playwright,
      { PLAYWRIGHT_JSON_OUTPUT_NAME: out }
    )
  );
}

const skipped = totals.skipped ? `, ${totals.skipped} skipped` : '';
console.log(`\n${totals.passed} passed, ${totals.failed} failed${skipped}`);
process.exit(totals.failed > 0 ? 1 : 0);
