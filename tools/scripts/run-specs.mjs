#!/usr/bin/env node
// Runs compiled `*.spec.js` files (and the repo scripts' own `*.spec.mjs`) with node's built-in
// test runner. Node 20's `--test` takes no globs, so the files are found here. The specs are
// compiled by each project's `build-tests` target (tsconfig.spec.json), not by `build`.
// Usage: run-specs.mjs [DIR...]  (default: every project's dist/, test/dist/ and tools/scripts/
// from the repo root)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(import.meta.url), '../../..');

function projectDists() {
  const dists = [];
  for (const group of ['libs', 'apps', 'tools']) {
    const groupDir = join(repoRoot, group);
    if (!existsSync(groupDir)) continue;
    for (const name of readdirSync(groupDir)) dists.push(join(groupDir, name, 'dist'));
  }
  dists.push(join(repoRoot, 'test', 'dist'), join(repoRoot, 'tools', 'scripts'));
  return dists;
}

function findSpecs(dir, out) {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) findSpecs(full, out);
    else if (entry.endsWith('.spec.js') || entry.endsWith('.spec.mjs')) out.push(full);
  }
  return out;
}

const args = process.argv.slice(2);
const roots =
  args.length > 0
    ? args.map((a) => resolve(a))
    : existsSync('dist') && !existsSync('nx.json')
      ? [resolve('dist')]
      : projectDists();
const specs = roots.flatMap((r) => findSpecs(r, [])).sort();
if (specs.length === 0) {
  console.error(`run-specs: no *.spec.js under ${roots.join(', ')} (did build-tests run?)`);
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const result = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...specs], {
  stdio: 'inherit',
  env: { ...process.env, INTERNVL_REPO_ROOT: repoRoot },
});
process.exit(result.status ?? 1);
