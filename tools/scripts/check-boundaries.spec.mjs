// Spec of check-boundaries.mjs: small fake workspaces in a temp dir, one deliberate break each.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./check-boundaries.mjs', import.meta.url));
const temp = mkdtempSync(join(tmpdir(), 'check-boundaries-'));
after(() => rmSync(temp, { recursive: true, force: true }));

/** A clean workspace: domain ← runtime ← app (which bans sharp), a toolchain lib, installed packages. */
function cleanTree() {
  return {
    'package.json': { name: 'root', private: true, workspaces: ['libs/*', 'apps/*'] },
    'libs/math/package.json': pkg('@x/math', 'domain'),
    'libs/math/src/index.ts': `export const twice = (n: number): number => 2 * n;\n`,
    'libs/math/tsconfig.spec.json': {},
    'libs/math/src/index.spec.ts': `import { readFileSync } from 'node:fs';\nimport { twice } from './index';\nvoid readFileSync;\nvoid twice;\n`,
    'libs/svc/package.json': pkg(
      '@x/svc',
      'runtime',
      { '@x/math': '*', '@grpc/grpc-js': '1' },
      { '@x/convert': '*' },
    ),
    'libs/svc/tsconfig.json': {
      include: ['src'],
      exclude: ['src/**/*.spec.ts', 'src/**/testing/**'],
      references: [{ path: '../math' }],
    },
    'libs/svc/src/index.ts': [
      `import { readFileSync } from 'node:fs';`,
      `import type { Server } from '@grpc/grpc-js';`,
      `import { twice } from '@x/math';`,
      `export const run = (s: Server): unknown => [s, twice(1), readFileSync];`,
      ``,
    ].join('\n'),
    'libs/svc/src/testing/fixture.ts': `export { convert } from '@x/convert';\n`,
    'libs/svc/tsconfig.spec.json': {},
    'libs/svc/src/index.spec.ts': `import { convert } from './testing/fixture';\nvoid convert;\n`,
    'libs/convert/package.json': pkg('@x/convert', 'toolchain', { '@x/math': '*' }),
    'libs/convert/src/index.ts': `import { writeFileSync } from 'node:fs';\nexport const convert = writeFileSync;\n`,
    'apps/gw/package.json': pkg('@x/app-gw', 'app', { '@x/svc': '*', left: '1' }, {}, ['sharp']),
    'apps/gw/src/main.ts': `import { run } from '@x/svc';\nimport left from 'left';\nvoid run;\nvoid left;\n`,
    'node_modules/left/package.json': { name: 'left', version: '1.0.0', dependencies: { 'left-pad': '1' } },
    'node_modules/left-pad/package.json': { name: 'left-pad', version: '1.0.0' },
    'node_modules/sharp/package.json': { name: 'sharp', version: '1.0.0' },
  };
}

function pkg(name, layer, dependencies = {}, devDependencies = {}, mustNotDependOn) {
  return {
    name,
    version: '0.0.0',
    internvl: mustNotDependOn ? { layer, mustNotDependOn } : { layer },
    scripts: { 'build-tests': 'tsc -b tsconfig.spec.json' },
    dependencies,
    devDependencies,
  };
}

let trees = 0;
/** Writes `files` (JSON for objects) under a fresh root and runs the check on it. */
function check(files) {
  const root = join(temp, `tree-${trees++}`);
  for (const [path, content] of Object.entries(files)) {
    if (content === undefined) continue;
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  const result = spawnSync(process.execPath, [script, root], { encoding: 'utf8' });
  return { status: result.status, lines: result.stdout.split('\n').filter(Boolean), stderr: result.stderr };
}

function assertOnly(result, ...expected) {
  assert.equal(result.status, 1, `expected a failure; stdout:\n${result.lines.join('\n')}`);
  assert.equal(result.lines.length, expected.length, `got:\n${result.lines.join('\n')}`);
  for (const [i, re] of expected.entries()) assert.match(result.lines[i], re);
}

test('a clean workspace passes (test code may do I/O and import the toolchain)', () => {
  const result = check(cleanTree());
  assert.equal(result.status, 0, `${result.lines.join('\n')}\n${result.stderr}`);
  assert.match(result.lines.at(-1), /^check-boundaries: 4 packages, \d+ source files, no violations$/);
});

test('a domain lib importing node:fs fails with file, import and rule', () => {
  const tree = cleanTree();
  tree['libs/math/src/disk.ts'] =
    `// reads a file\nimport { readFileSync } from 'node:fs';\nexport const load = readFileSync;\n`;
  assertOnly(
    check(tree),
    /^libs\/math\/src\/disk\.ts:2: \[domain-no-io\] 'node:fs' domain package @x\/math must not do I\/O$/,
  );
});

test('a domain lib requiring an I/O package or a runtime lib fails, in its sources and its package.json', () => {
  const tree = cleanTree();
  tree['libs/math/package.json'] = pkg('@x/math', 'domain', { '@grpc/grpc-js': '1' });
  tree['libs/math/src/net.ts'] =
    `export const grpc = require('@grpc/grpc-js');\nexport const svc = () => import('@x/svc');\n`;
  assertOnly(
    check(tree),
    /^libs\/math\/src\/net\.ts:1: \[domain-no-io\] '@grpc\/grpc-js' domain package @x\/math must not do I\/O$/,
    /^libs\/math\/src\/net\.ts:2: \[domain-no-io\] '@x\/svc' domain package @x\/math may import only domain packages, not runtime package @x\/svc$/,
    /^libs\/math\/src\/net\.ts:2: \[undeclared-dependency\] '@x\/svc' is not in the dependencies of @x\/math$/,
    /^libs\/math\/package\.json: \[domain-no-io\] '@grpc\/grpc-js' \(dependencies\) domain package @x\/math must not do I\/O$/,
  );
});

test('a runtime lib importing the toolchain in production code fails', () => {
  const tree = cleanTree();
  tree['libs/svc/src/convert.ts'] = `export { convert } from '@x/convert';\n`;
  assertOnly(
    check(tree),
    /^libs\/svc\/src\/convert\.ts:1: \[runtime-no-toolchain\] '@x\/convert' runtime package @x\/svc may import only domain, web, runtime packages, not toolchain package @x\/convert$/,
    /^libs\/svc\/src\/convert\.ts:1: \[undeclared-dependency\] '@x\/convert' is not in the dependencies of @x\/svc \(only in devDependencies\)$/,
  );
});

test('a runtime lib declaring a toolchain or testing package in its dependencies fails', () => {
  const tree = cleanTree();
  tree['libs/fixtures/package.json'] = pkg('@x/fixtures', 'testing');
  tree['libs/svc/package.json'] = pkg('@x/svc', 'runtime', {
    '@x/math': '*',
    '@grpc/grpc-js': '1',
    '@x/convert': '*',
    '@x/fixtures': '*',
  });
  assertOnly(
    check(tree),
    /^libs\/svc\/package\.json: \[runtime-no-toolchain\] '@x\/convert' \(dependencies\) runtime package/,
    /^libs\/svc\/package\.json: \[runtime-no-testing\] '@x\/fixtures' \(dependencies\) runtime package/,
  );
});

test('production code importing a testing/ folder fails', () => {
  const tree = cleanTree();
  tree['libs/svc/src/wiring.ts'] =
    `import { convert } from './testing/fixture';\nexport const c = convert;\n`;
  assertOnly(
    check(tree),
    /^libs\/svc\/src\/wiring\.ts:1: \[prod-imports-test-code\] '\.\/testing\/fixture' production code imports a spec or testing\/ file$/,
  );
});

test('a banned package reached transitively through workspace deps fails with the path that brings it in', () => {
  const tree = cleanTree();
  tree['libs/decode/package.json'] = pkg('@x/decode', 'runtime', { sharp: '1' });
  tree['libs/svc/package.json'] = pkg(
    '@x/svc',
    'runtime',
    { '@x/math': '*', '@grpc/grpc-js': '1', '@x/decode': '*' },
    { '@x/convert': '*' },
  );
  assertOnly(
    check(tree),
    /^apps\/gw\/package\.json: \[closure\] 'sharp' is in the dependency closure of @x\/app-gw: @x\/app-gw → @x\/svc → @x\/decode → sharp$/,
  );
});

test('a banned package reached through an installed package fails too', () => {
  const tree = cleanTree();
  tree['node_modules/left-pad/package.json'] = {
    name: 'left-pad',
    version: '1.0.0',
    optionalDependencies: { sharp: '1' },
  };
  assertOnly(check(tree), /\[closure\] 'sharp' .*: @x\/app-gw → left → left-pad → sharp$/);
});

test('imports missing from package.json, a missing layer, an app import and a test-only build reference fail', () => {
  const tree = cleanTree();
  tree['libs/extra/package.json'] = { name: '@x/extra', version: '0.0.0' };
  tree['libs/svc/src/more.ts'] =
    `import 'left';\nimport type { App } from '@x/app-gw';\nexport type A = App;\n`;
  tree['libs/svc/tsconfig.json'] = {
    include: ['src'],
    references: [{ path: '../math' }, { path: '../convert' }],
  };
  assertOnly(
    check(tree),
    /^libs\/extra\/package\.json: \[layer\] '@x\/extra' declares no known layer/,
    /^libs\/svc\/src\/more\.ts:1: \[undeclared-dependency\] 'left' is not in the dependencies of @x\/svc$/,
    /^libs\/svc\/src\/more\.ts:2: \[no-app-import\] '@x\/app-gw' nothing imports an app$/,
    /^libs\/svc\/src\/more\.ts:2: \[undeclared-dependency\] '@x\/app-gw'/,
    /^libs\/svc\/tsconfig\.json: \[build-reference\] '\.\.\/convert' the production build references @x\/convert/,
    /^libs\/svc\/tsconfig\.json: \[test-code-in-build\] the production build must exclude "src\/\*\*\/\*\.spec\.ts" and "src\/\*\*\/testing\/\*\*"$/,
  );
});

test('specs that no build-tests target compiles fail (they would never run)', () => {
  const tree = cleanTree();
  tree['libs/svc/tsconfig.spec.json'] = undefined;
  tree['libs/math/package.json'] = { ...pkg('@x/math', 'domain'), scripts: {} };
  assertOnly(
    check(tree),
    /^libs\/math\/package\.json: \[specs-not-built\] @x\/math has specs but no "build-tests" script building tsconfig\.spec\.json, so they never run$/,
    /^libs\/svc\/package\.json: \[specs-not-built\] @x\/svc has specs/,
  );
});

test('browser code importing a Node module fails; an unknown layer is reported, not a crash', () => {
  const tree = cleanTree();
  tree['libs/page/package.json'] = pkg('@x/page', 'web', { '@x/math': '*' });
  tree['libs/page/src/app.ts'] =
    `import { twice } from '@x/math';\nimport { join } from 'node:path';\nvoid [twice, join];\n`;
  tree['libs/odd/package.json'] = pkg('@x/odd', 'mystery', { '@x/math': '*' });
  tree['libs/odd/src/index.ts'] = `export { twice } from '@x/math';\n`;
  assertOnly(
    check(tree),
    /^libs\/odd\/package\.json: \[layer\] '@x\/odd' declares no known layer/,
    /^libs\/page\/src\/app\.ts:2: \[web-no-node\] 'node:path' web package @x\/page runs in the browser: no Node module$/,
  );
});

test('a runtime lib may depend on a web package (the gateway serves the playground); web code may not import runtime', () => {
  const tree = cleanTree();
  tree['libs/page/package.json'] = pkg('@x/page', 'web', { '@x/math': '*', '@x/svc': '*' });
  tree['libs/page/src/app.ts'] = `import { run } from '@x/svc';\nvoid run;\n`;
  tree['libs/svc/package.json'] = pkg(
    '@x/svc',
    'runtime',
    { '@x/math': '*', '@x/page': '*', '@grpc/grpc-js': '1' },
    { '@x/convert': '*' },
  );
  tree['libs/svc/src/page.ts'] = `export const page = require.resolve('@x/page/package.json');\n`;
  assertOnly(
    check(tree),
    /^libs\/page\/src\/app\.ts:1: \[layer\] '@x\/svc' web package @x\/page may import only domain packages/,
    /^libs\/page\/package\.json: \[layer\] '@x\/svc' \(dependencies\) web package @x\/page may import only domain packages, not runtime package @x\/svc$/,
  );
});
