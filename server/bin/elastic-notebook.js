#!/usr/bin/env node
'use strict';
require('../lib/cli/main.js')
  .main(process.argv)
  .catch(err => {
    process.stderr.write(`elastic-notebook: ${err && err.message ? err.message : String(err)}\n`);
    process.exit(1);
  });
