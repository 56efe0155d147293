#!/usr/bin/env node
// The `internvl` command as npm links it (node_modules/.bin/internvl, so `npx internvl`). This
// file is committed so the link exists right after `npm ci`, before anything is built; the
// command itself is the build's dist/main.js.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const main = join(__dirname, '..', 'dist', 'main.js');
if (!existsSync(main)) {
  process.stderr.write('internvl: the CLI is not built yet; run `npm run build` (or `npm start`)\n');
  process.exit(1);
}
require(main);
