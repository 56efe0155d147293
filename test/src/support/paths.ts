import { join, resolve } from 'node:path';

/** Repository root, from test/dist/support. */
export const REPO_ROOT = process.env.INTERNVL_REPO_ROOT ?? resolve(__dirname, '..', '..', '..');
export const CLI = join(REPO_ROOT, 'tools', 'cli', 'dist', 'main.js');
export const FIXTURE_SERVER = join(REPO_ROOT, 'test', 'dist', 'fixtures', 'fixture-server.js');
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');
