#!/usr/bin/env node
// What the container image's runtime stage holds, decided in one place: the Dockerfile copies with
// this script, and test/src/production-install.spec.ts copies with it too, then installs and starts
// every tier from the copy, so the image's recipe is tested without building the image.
//
// Usage (SRC: a built checkout, OUT: a folder to create or fill):
//   runtime-files.mjs manifests SRC OUT   root package.json, package-lock.json, .npmrc and every
//                                         workspace's package.json: what `npm ci --omit=dev` reads
//                                         (npm checks every workspace of the lockfile, so all are
//                                         copied, even those whose code is not)
//   runtime-files.mjs app SRC OUT         proto/*.proto and the production dist/ of every package
//                                         `internvl serve` loads: @internvl/cli, the apps, and their
//                                         workspace dependencies (no specs, no testing/, no .d.ts)
//   runtime-files.mjs prune DIR           after `npm ci --omit=dev` in DIR: deletes onnxruntime-node's
//                                         binaries for other platforms than this one (~250 MB)
//   runtime-files.mjs list SRC            prints both lists (manifests first), one path a line
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Packages whose code the image runs: the `internvl` command and the tiers' entry points (`serve all`). */
const ENTRY_PACKAGES = ['@internvl/cli'];
const ENTRY_DIRS = ['apps'];

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const posix = (path) => path.split(sep).join('/');

/** Every workspace folder matched by the root package.json's `workspaces` that has a package.json. */
export function workspaceDirs(src) {
  const dirs = [];
  for (const pattern of readJson(join(src, 'package.json')).workspaces ?? []) {
    if (pattern.endsWith('/*')) {
      const base = join(src, pattern.slice(0, -2));
      if (!existsSync(base)) continue;
      for (const name of readdirSync(base).sort()) dirs.push(join(base, name));
    } else if (!/[*?[{]/.test(pattern)) dirs.push(join(src, pattern));
    else throw new Error(`runtime-files: unsupported workspaces pattern '${pattern}'`);
  }
  return dirs.filter((dir) => existsSync(join(dir, 'package.json')));
}

/** The files `npm ci --omit=dev` needs, relative to src. */
export function manifestFiles(src) {
  const files = ['package.json', 'package-lock.json', '.npmrc'].filter((f) => existsSync(join(src, f)));
  for (const dir of workspaceDirs(src)) files.push(posix(relative(src, join(dir, 'package.json'))));
  return files;
}

/** Workspace folders in the production closure of the entry packages (their `dependencies` only). */
export function runtimePackageDirs(src) {
  const byName = new Map(workspaceDirs(src).map((dir) => [readJson(join(dir, 'package.json')).name, dir]));
  const entries = [...ENTRY_PACKAGES];
  for (const [name, dir] of byName)
    if (ENTRY_DIRS.includes(posix(relative(src, dir)).split('/')[0])) entries.push(name);
  const seen = new Set();
  const visit = (name) => {
    const dir = byName.get(name);
    if (!dir || seen.has(dir)) return;
    seen.add(dir);
    for (const dep of Object.keys(readJson(join(dir, 'package.json')).dependencies ?? {})) visit(dep);
  };
  for (const name of entries) {
    if (!byName.has(name)) throw new Error(`runtime-files: no workspace package ${name}`);
    visit(name);
  }
  return [...seen].sort();
}

/** Build output that production code never loads: tests, test helpers, declarations, tsc state. */
function isProductionOutput(relPath) {
  const parts = relPath.split('/');
  const name = parts[parts.length - 1];
  return !(
    parts.includes('testing') ||
    /\.spec\./.test(name) ||
    name.startsWith('.tsbuildinfo') ||
    name.endsWith('.tsbuildinfo') ||
    name.endsWith('.d.ts') ||
    name.endsWith('.d.ts.map')
  );
}

/**
 * Whether a compiled file still has its source (`dist/a/b.js` ← `src/a/b.ts`): a clean build (the
 * image's) has no other kind, a long-lived checkout's dist/ may keep outputs of deleted sources.
 */
function hasSource(packageDir, distRel) {
  const match = /^(.*)\.js(\.map)?$/.exec(distRel);
  return !match || existsSync(join(packageDir, 'src', `${match[1]}.ts`));
}

function walk(dir, out = []) {
  for (const entry of readdirSync(dir).sort()) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) walk(full, out);
    else out.push(full);
  }
  return out;
}

/** The code the image runs, relative to src: proto sources and production dist/ files. */
export function appFiles(src) {
  const files = [];
  // Server reflection loads the .proto sources at run time (libs/contracts PROTO_ROOT).
  for (const file of walk(join(src, 'proto'))) if (file.endsWith('.proto')) files.push(file);
  for (const dir of runtimePackageDirs(src)) {
    const dist = join(dir, 'dist');
    if (!existsSync(dist))
      throw new Error(`runtime-files: ${posix(relative(src, dist))} is missing: build first (npm run build)`);
    for (const file of walk(dist)) {
      const rel = posix(relative(dist, file));
      if (isProductionOutput(rel) && hasSource(dir, rel)) files.push(file);
    }
  }
  return files.map((file) => posix(relative(src, file)));
}

export function copyFiles(src, out, files) {
  for (const file of files) {
    const to = join(out, file);
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(join(src, file), to);
  }
}

/** Deletes onnxruntime-node's prebuilt binaries for every platform and architecture but this one's. */
export function pruneForeignBinaries(appDir) {
  const bin = join(appDir, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6');
  const removed = [];
  if (!existsSync(bin)) return removed;
  for (const platform of readdirSync(bin))
    for (const arch of readdirSync(join(bin, platform))) {
      if (platform === process.platform && arch === process.arch) continue;
      rmSync(join(bin, platform, arch), { recursive: true, force: true });
      removed.push(`${platform}/${arch}`);
    }
  return removed;
}

const isMain = process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname);
if (isMain) {
  const [mode, srcArg, outArg] = process.argv.slice(2);
  const usage = 'usage: runtime-files.mjs manifests|app SRC OUT, runtime-files.mjs prune|list DIR';
  const oneArg = mode === 'list' || mode === 'prune';
  if (!srcArg || !['manifests', 'app', 'prune', 'list'].includes(mode) || (!oneArg && !outArg)) {
    console.error(usage);
    process.exit(2);
  }
  const src = resolve(srcArg);
  try {
    if (mode === 'prune') {
      const removed = pruneForeignBinaries(src);
      console.error(
        `runtime-files: removed onnxruntime-node binaries for ${removed.join(', ') || 'nothing'}`,
      );
    } else if (mode === 'list') {
      for (const file of [...manifestFiles(src), ...appFiles(src)]) console.log(file);
    } else {
      const files = mode === 'manifests' ? manifestFiles(src) : appFiles(src);
      copyFiles(src, resolve(outArg), files);
      console.error(`runtime-files: copied ${files.length} ${mode} files to ${resolve(outArg)}`);
    }
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}
