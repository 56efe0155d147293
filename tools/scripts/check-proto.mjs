#!/usr/bin/env node
// Contract checks: `buf lint` (STANDARD), `buf breaking` against main, and that the committed
// generated TypeScript equals a fresh `npm run proto:gen` (nobody edits libs/contracts/src/gen).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const genDir = join(root, 'libs/contracts/src/gen');
const bin = (name) => join(root, 'node_modules/.bin', name);

function run(cmd, args) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`check-proto: '${[relative(root, cmd), ...args].join(' ')}' failed`);
    process.exit(result.status ?? 1);
  }
}

function snapshot(dir, out = new Map()) {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) snapshot(full, out);
    else out.set(relative(genDir, full), readFileSync(full, 'utf8'));
  }
  return out;
}

run(bin('buf'), ['lint']);
console.log('check-proto: buf lint clean');

const hasMain = spawnSync('git', ['rev-parse', '--verify', '--quiet', 'main'], { cwd: root }).status === 0;
const mainHasProto =
  hasMain &&
  execFileSync('git', ['ls-tree', '-r', '--name-only', 'main', 'proto'], { cwd: root }).toString().trim() !==
    '';
if (mainHasProto) {
  run(bin('buf'), ['breaking', '--against', '.git#branch=main']);
  console.log('check-proto: no breaking change against main');
} else {
  console.log('check-proto: main has no proto/ yet, nothing to compare for breaking changes');
}

const before = snapshot(genDir);
run(bin('buf'), ['generate']);
run(bin('prettier'), ['--log-level', 'warn', '--write', genDir]);
const after = snapshot(genDir);
const changed = [...new Set([...before.keys(), ...after.keys()])].filter(
  (f) => before.get(f) !== after.get(f),
);
if (changed.length > 0) {
  console.error(
    `check-proto: generated code was stale or hand-edited; regenerated: ${changed.join(', ')}. Commit the result of 'npm run proto:gen'.`,
  );
  process.exit(1);
}
console.log('check-proto: generated contracts are up to date');
