#!/usr/bin/env node
// `npm start`: builds what is needed (Nx cache makes repeat runs fast), creates the default tiny
// model once (make-tiny + convert, deterministic: seed 0), then runs the whole stack on loopback
// with `internvl serve all`, whose first line is the playground's address. Extra arguments go to
// `serve all`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
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

// The stack's output is held back until the gateway's HTTP server listens, so the first line it
// shows is where to point a browser; then the held output follows and the rest streams through.
// If the gateway is not up in HOLD_MS (or the stack stops first), the output is let through
// anyway and the address is printed when it comes.
const HOLD_MS = 20_000;
const stack = spawn(process.execPath, [cli, 'serve', 'all', '--model', modelDir, ...process.argv.slice(2)], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'pipe'],
});
/** [stream, chunk] written while held back. */
let held = [];
const release = () => {
  if (!held) return;
  for (const [stream, chunk] of held) stream.write(chunk);
  held = undefined;
};
const holdTimer = setTimeout(release, HOLD_MS);
const pass = (stream) => (chunk) => (held ? held.push([stream, chunk]) : stream.write(chunk));
stack.stdout.on('data', pass(process.stdout));
stack.stderr.on('data', pass(process.stderr));

/** The playground's address from the gateway's JSON "… http listening on" log line, or undefined. */
function playgroundUrl(line) {
  let entry;
  try {
    entry = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof entry?.msg !== 'string' || typeof entry.httpPort !== 'number') return undefined;
  const match = /\b(https?):\/\/(\S+):(\d+)\/?$/.exec(entry.msg);
  if (!match) return undefined;
  // A wildcard bind is reachable on loopback.
  const host = { '0.0.0.0': '127.0.0.1', '::': '[::1]', '[::]': '[::1]' }[match[2]] ?? match[2];
  return `${match[1]}://${host}:${entry.httpPort}/`;
}
let announced = false;
createInterface({ input: stack.stderr }).on('line', (line) => {
  const url = !announced && playgroundUrl(line);
  if (!url) return;
  announced = true;
  clearTimeout(holdTimer);
  const bold = (text) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[22m` : text);
  const announcement = process.argv.includes('--no-playground')
    ? `OpenAI API: ${url}v1`
    : `playground: ${url}   (OpenAI API: ${url}v1)`;
  process.stdout.write(`\n${bold(announcement)}\n\n`);
  release();
});

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stack.kill(signal));
// 'close', not 'exit': the tiers' last log lines (drain, shutdown) are still in the pipes at exit.
stack.on('close', (code) => {
  clearTimeout(holdTimer);
  release();
  process.exit(code ?? 1);
});
