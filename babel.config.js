/** Babel turns the ES-module-only packages jest loads (JupyterLab's, see jest.config.js) into CommonJS. */
module.exports = require('@jupyterlab/testing/lib/babel-config').default;
