// The README's folder table is the map a newcomer reads first: every lib and tool folder has its
// row, and every row names a folder that exists.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const rows = [...readme.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1].replace(/\/$/, ''));

const folders = (group) =>
  readdirSync(join(root, group), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(root, group, e.name, 'package.json')))
    .map((e) => `${group}/${e.name}`);

test('every lib and tool package has a row in the README folder table', () => {
  const missing = [...folders('libs'), ...folders('tools')].filter(
    (f) => !rows.includes(f) && !(f.endsWith('-service') && rows.includes('libs/<tier>-service')),
  );
  assert.deepEqual(missing, []);
});

test('every libs/ and tools/ row of the table names a folder that exists', () => {
  const stale = rows
    .filter((r) => /^(libs|tools|apps)\//.test(r) && !r.includes('<'))
    .filter((r) => !existsSync(join(root, r)));
  assert.deepEqual(stale, []);
});
