import { strict as assert } from 'node:assert';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT } from './support/paths';

// The README's first ten minutes in a fresh clone: `npm ci` (offline: the npm cache is warm from
// the repository's own `npm ci`), then `npx internvl --help`, before and after building the CLI.
// A clone holds what git tracks; uncommitted work counts too, so the copy is git's tracked and
// untracked-but-not-ignored files (`git ls-files -co --exclude-standard`).

const NOT_BUILT = 'internvl: the CLI is not built yet; run `npm run build` (or `npm start`)';

/**
 * The parent's env minus npm's own (`npm test` sets npm_config_*, which would steer the inner npm),
 * with no Nx daemon left behind, and npx told never to fetch a package it does not find locally.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return { ...env, NX_DAEMON: 'false', npm_config_yes: 'false', npm_config_offline: 'true' };
}

function run(command: string, args: string[], cwd: string, timeoutMs = 240_000) {
  return spawnSync(command, args, { cwd, env: cleanEnv(), encoding: 'utf8', timeout: timeoutMs });
}

function output(result: SpawnSyncReturns<string>): string {
  return `${result.error ? `${result.error.message}\n` : ''}${result.stdout}${result.stderr}`;
}

/** Copies git's tracked + untracked-not-ignored files (modes and symlinks kept); false without git. */
function copyWorkingTree(src: string, dest: string): boolean {
  const listed = spawnSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], {
    cwd: src,
    encoding: 'utf8',
  });
  if (listed.status !== 0) return false;
  for (const rel of listed.stdout.split('\0').filter(Boolean)) {
    const from = join(src, rel);
    let stat;
    try {
      stat = lstatSync(from);
    } catch {
      continue; // deleted in the working tree, not yet in the index
    }
    const to = join(dest, rel);
    mkdirSync(dirname(to), { recursive: true });
    if (stat.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
    else if (stat.isFile()) {
      copyFileSync(from, to);
      chmodSync(to, stat.mode & 0o777);
    }
  }
  return true;
}

const clone = mkdtempSync(join(tmpdir(), 'internvl-fresh-clone-'));
const hasGit = copyWorkingTree(REPO_ROOT, clone);

describe('a fresh clone: npm ci, then npx internvl', { skip: !hasGit && 'not a git checkout' }, () => {
  let install: SpawnSyncReturns<string>;
  before(() => {
    // --foreground-scripts: an install script that ran would print its `> pkg@v postinstall` line.
    install = run('npm', ['ci', '--offline', '--foreground-scripts'], clone);
  });
  after(() => rmSync(clone, { recursive: true, force: true }));

  test('npm ci installs offline without config warnings and runs no install script', () => {
    const text = output(install);
    assert.equal(install.status, 0, text);
    assert.doesNotMatch(text, /Unknown \w+ config/, text);
    assert.doesNotMatch(text, /^> \S+ (pre|post)?install$/m, 'no install script ran');
    // onnxruntime-node's postinstall would have fetched the CUDA provider from NuGet.
    const ort = join(
      clone,
      'node_modules',
      'onnxruntime-node',
      'bin',
      'napi-v6',
      process.platform,
      process.arch,
    );
    assert.ok(existsSync(ort), ort);
    assert.deepEqual(
      readdirSync(ort).filter((f) => /providers/.test(f)),
      [],
      'no execution provider was downloaded',
    );
  });

  test('npx internvl --help: before the build, a clear message and exit 1; after building the CLI, the usage', () => {
    assert.equal(install.status, 0, 'npm ci failed');
    assert.ok(existsSync(join(clone, 'node_modules', '.bin', 'internvl')), 'npm ci linked the internvl bin');
    const before = run('npx', ['internvl', '--help'], clone);
    assert.equal(before.status, 1, output(before));
    assert.equal(before.stderr.trim(), NOT_BUILT);
    // npm's own commands print no config warning either.
    const script = run('npm', ['run', 'internvl', '--', '--help'], clone);
    assert.equal(script.status, 1, output(script));
    assert.doesNotMatch(output(script), /npm warn/i);
    assert.ok(script.stderr.includes(NOT_BUILT), output(script));

    // Only what the CLI needs: the cli project and its dependencies.
    const build = run('npx', ['nx', 'run', '@internvl/cli:build', '--output-style=static'], clone);
    assert.equal(build.status, 0, output(build));

    const after = run('npx', ['internvl', '--help'], clone);
    assert.equal(after.status, 0, output(after));
    assert.match(after.stdout, /^Usage: internvl <command> \[options\]/);
    assert.match(after.stdout, /^ {2}convert +/m);
  });
});
