#!/usr/bin/env node
// `npm start`: builds what is needed (Nx cache makes repeat runs fast), creates the default tiny
// model once (make-tiny + convert, deterministic: seed 0), then runs the whole stack on loopback
// with `internvl serve all`. Extra arguments go to `serve all`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const cli = join(root, 'tools/cli/dist/main.js');
const modelDir = process.env.INTERNVL_DEFAULT_MODEL ?? join(root, 'models/default-tiny-phi3');

function run(args, what) {
  const result = spawnSync(process.execPath, [cli, ...args], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) {
    console.error(`npm start: ${what} failed`);
    process.exit(result.status ?? 1);
  }
}

console.log('building (cached after the first run)…');
const build = spawnSync(
  join(root, 'node_modules/.bin/nx'),
  ['run-many', '-t', 'build', '--output-style=static'],
  {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
if (build.status !== 0) {
  console.error('npm start: the build failed; run `npx nx run-many -t build` to see why');
  process.exit(build.status ?? 1);
}
/** Whether the default model is missing or was made by a converter whose format is not this one's. */
function needsModel() {
  const manifest = join(modelDir, 'manifest.json');
  if (!existsSync(manifest)) return true;
  const { MANIFEST_FORMAT } = createRequire(import.meta.url)(join(root, 'libs/model-config/dist/index.js'));
  return JSON.parse(readFileSync(manifest, 'utf8')).format !== MANIFEST_FORMAT;
}

if (needsModel()) {
  console.log(
    `creating the default model in ${modelDir} (random weights: it answers gibberish; see README → Models)`,
  );
  // The checkpoint folder's name becomes the model's name (what /v1/models lists and requests name).
  const checkpoint = join(dirname(modelDir), '.checkpoints', basename(modelDir));
  rmSync(modelDir, { recursive: true, force: true });
  run(['make-tiny', checkpoint, '--llm', 'phi3', '--seed', '0'], 'make-tiny');
  run(['convert', '--from', checkpoint, '--to', modelDir, '--precision', 'fp32'], 'convert');
}
const stack = spawn(process.execPath, [cli, 'serve', 'all', '--model', modelDir, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stack.kill(signal));
stack.on('exit', (code) => process.exit(code ?? 1));
