/**
 * Galata UI tests in Debian's Chromium (no browser download). `npm test` runs them; the web
 * server is JupyterLab from the project's venv with the extension installed.
 */
const path = require('path');
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const root = path.resolve(__dirname, '..');
// Must match jupyter_server_test_config.py, which reads the same variable.
const port = process.env.ELASTIC_NOTEBOOK_UI_PORT || '8888';

module.exports = {
  ...baseConfig,
  testDir: path.join(__dirname, 'tests'),
  outputDir: path.join(__dirname, 'test-results'),
  reporter: [['list']],
  retries: process.env.CI ? 1 : 0,
  workers: 1,
  timeout: 120000,
  use: {
    ...baseConfig.use,
    baseURL: `http://localhost:${port}`,
    video: 'off',
    trace: 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic'
      ]
    }
  },
  webServer: {
    command: `${path.join(root, '.venv', 'bin', 'jupyter')} lab --config ${path.join(__dirname, 'jupyter_server_test_config.py')}`,
    url: `http://localhost:${port}/lab`,
    timeout: 120000,
    reuseExistingServer: false,
    cwd: __dirname
  }
};
