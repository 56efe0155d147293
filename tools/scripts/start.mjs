#!/usr/bin/env node
// `npm start`: builds what is needed (Nx cache makes repeat runs fast), then runs the whole
// stack on loopback with `internvl serve all`. Extra arguments go to `serve all`.
import { spawnSync, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
console.log('building (cached after the first run)…');
const build = spawnSync(
  join(root, 'node_modules/.bin/nx'),
  ['run-many', '-t', 'build', '--output-style=static'],
  { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
);
if (build.status !== 0) {
  console.error('npm start: the build failed; run `npx nx run-many -t build` to see why');
  process.exit(build.status ?? 1);
}
const stack = spawn(
  process.execPath,
  [join(root, 'tools/cli/dist/main.js'), 'serve', 'all', ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stack.kill(signal));
stack.on('exit', (code) => process.exit(code ?? 1));
