#!/usr/bin/env node
// Layer boundaries of the workspace, checked from each package's package.json, tsconfig.json and
// the import specifiers of its sources (TypeScript's parser: static imports, re-exports,
// require(), require.resolve(), import(), import types).
//
// Every workspace package declares its layer: "internvl": { "layer": "<layer>" } in package.json.
//   domain     pure math and formats: no I/O (no fs/net/http/child_process/worker_threads…, no
//              @grpc/*, onnxruntime-node, sharp, pino, OpenTelemetry SDK)
//   web        browser code (bundled for the browser): domain libs, no Node module at all
//   runtime    what the serving tiers run (gRPC, ORT, sharp, telemetry, services, tier clients)
//   toolchain  the model toolchain (HF checkpoint → ONNX model directory)
//   app        process entry points of the tiers
//   tool       the CLI and the benchmarks
//   testing    test-only packages (test/, the reference forward)
// Rules (rule name in brackets in the output):
//   - production code and `dependencies` reach only the layers in MAY_IMPORT
//     ([domain-no-io], [runtime-no-toolchain], [runtime-no-testing], [layer]); domain code uses
//     no I/O module or package ([domain-no-io]);
//   - test code (`*.spec.ts`, anything under a `testing/` folder, all of a testing package) may
//     import any layer but an app; production code never imports test code
//     ([prod-imports-test-code]); nothing imports an app ([no-app-import]);
//   - every package import is declared: in `dependencies` for production code, in
//     `dependencies` or `devDependencies` for test code ([undeclared-dependency]); no relative
//     import leaves its package ([relative-import]);
//   - the production tsconfig.json excludes test code ([test-code-in-build]) and references only
//     `dependencies` ([build-reference]); specs have a `build-tests` script ([specs-not-built]);
//   - "internvl": { "mustNotDependOn": ["sharp"] } bans packages from a package's production
//     dependency closure (`dependencies`, transitively through workspace and installed packages,
//     as `npm ls --omit=dev` walks it) ([closure]).
//
// Usage: check-boundaries.mjs [ROOT]   (ROOT: a workspace root, default this repo)
// Prints one line per violation (file:line: [rule] 'import' message) and exits 1 if there is any.
//        check-boundaries.mjs --closure PACKAGE [ROOT]
// Prints PACKAGE's production dependency closure, one package a line with the path that brings it in.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ts = createRequire(import.meta.url)('typescript');

export const LAYERS = ['domain', 'web', 'runtime', 'toolchain', 'app', 'tool', 'testing'];
export const MAY_IMPORT = {
  domain: ['domain'],
  web: ['domain'],
  // The gateway (runtime) depends on the playground (web) to serve its built files.
  runtime: ['domain', 'web', 'runtime'],
  toolchain: ['domain', 'toolchain'],
  app: ['domain', 'runtime'],
  tool: ['domain', 'runtime', 'toolchain', 'tool'],
  testing: ['domain', 'web', 'runtime', 'toolchain', 'tool', 'testing'],
};
const IO_BUILTINS = new Set([
  'fs',
  'net',
  'http',
  'https',
  'http2',
  'child_process',
  'worker_threads',
  'cluster',
  'dgram',
  'dns',
  'tls',
  'readline',
  'inspector',
]);
const IO_PACKAGES = [
  /^@grpc\//,
  /^grpc-health-check$/,
  /^onnxruntime-(node|web|common)$/,
  /^sharp$/,
  /^pino$/,
  /^@opentelemetry\/(sdk|exporter|instrumentation)/,
];
const SOURCE_EXT = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;

const defaultRoot = resolve(fileURLToPath(import.meta.url), '../../..');
const args = process.argv.slice(2);
const closureOf = args[0] === '--closure' ? args[1] : null;
if (closureOf === undefined || (closureOf && args.length > 3) || (!closureOf && args.length > 1)) {
  console.error('usage: check-boundaries.mjs [ROOT] | check-boundaries.mjs --closure PACKAGE [ROOT]');
  process.exit(2);
}
const root = resolve((closureOf ? args[2] : args[0]) ?? defaultRoot);
const rel = (p) => relative(root, p).split(sep).join('/');
const violations = [];
const report = (file, line, rule, what, message) =>
  violations.push(`${rel(file)}${line ? `:${line}` : ''}: [${rule}] ${what ? `'${what}' ` : ''}${message}`);

function readJson(file) {
  const text = readFileSync(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch {
    // tsconfig files may hold comments and trailing commas
    const parsed = ts.parseConfigFileTextToJson(file, text);
    if (parsed.error)
      throw new Error(`${rel(file)}: ${ts.flattenDiagnosticMessageText(parsed.error.messageText)}`);
    return parsed.config;
  }
}

// --- workspace packages ---------------------------------------------------------------------

function workspaceDirs() {
  const pkg = readJson(join(root, 'package.json'));
  const dirs = [];
  for (const pattern of pkg.workspaces ?? []) {
    if (pattern.endsWith('/*')) {
      const base = join(root, pattern.slice(0, -2));
      if (!existsSync(base)) continue;
      for (const name of readdirSync(base).sort()) dirs.push(join(base, name));
    } else if (!/[*?[{]/.test(pattern)) dirs.push(join(root, pattern));
    else throw new Error(`check-boundaries: unsupported workspaces pattern '${pattern}'`);
  }
  return dirs.filter((d) => existsSync(join(d, 'package.json')));
}

const packages = workspaceDirs().map((dir) => {
  const json = readJson(join(dir, 'package.json'));
  return {
    dir,
    name: json.name,
    json,
    layer: json.internvl?.layer,
    deps: Object.keys(json.dependencies ?? {}),
    devDeps: Object.keys(json.devDependencies ?? {}),
  };
});
const byName = new Map(packages.map((p) => [p.name, p]));
const packageOfPath = (file) => packages.find((p) => file === p.dir || file.startsWith(p.dir + sep)) ?? null;

for (const p of packages) {
  if (!LAYERS.includes(p.layer)) {
    report(
      join(p.dir, 'package.json'),
      0,
      'layer',
      p.name,
      `declares no known layer: add "internvl": { "layer": "${LAYERS.join('" | "')}" }`,
    );
  }
}

// --- sources ----------------------------------------------------------------------------------

function sourceFiles(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir).sort()) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) sourceFiles(full, out);
    else if (SOURCE_EXT.test(entry) && !entry.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/** Test-only code: specs and everything under a `testing/` folder. */
const isTestCode = (path) =>
  /\.(spec|test)\.[cm]?[jt]sx?$/.test(path) || /(^|[\\/])testing([\\/]|$)/.test(path);

/** Every module specifier a file names, with its line. */
function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found = [];
  const add = (node) => {
    if (node && ts.isStringLiteralLike(node)) {
      found.push({ spec: node.text, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
    }
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isRequire =
        (ts.isIdentifier(callee) && callee.text === 'require') ||
        (ts.isPropertyAccessExpression(callee) &&
          ts.isIdentifier(callee.expression) &&
          callee.expression.text === 'require' &&
          callee.name.text === 'resolve');
      if (isRequire || callee.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0]);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const packageName = (spec) => {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
};
const builtinName = (spec) => {
  const bare = spec.startsWith('node:') ? spec.slice(5) : spec;
  const base = bare.split('/')[0];
  return spec.startsWith('node:') || builtinModules.includes(bare) ? base : null;
};
const isIoPackage = (name) => IO_PACKAGES.some((re) => re.test(name));
const ioRule = (p) => (p.layer === 'web' ? 'web-no-node' : 'domain-no-io');
const describe = (p) => `${p.layer ?? 'unlayered'} package ${p.name}`;

/** Why `from` may not import workspace package `to` (null when it may). */
function layerProblem(from, to, testCode) {
  if (to.layer === 'app') return ['no-app-import', 'nothing imports an app'];
  if (testCode || !MAY_IMPORT[from.layer] || !MAY_IMPORT[to.layer]) return null; // [layer] reported it
  if (MAY_IMPORT[from.layer]?.includes(to.layer)) return null;
  const rule =
    from.layer === 'domain'
      ? 'domain-no-io'
      : to.layer === 'toolchain' || to.layer === 'testing'
        ? `${from.layer}-no-${to.layer}`
        : 'layer';
  return [
    rule,
    `${describe(from)} may import only ${MAY_IMPORT[from.layer].join(', ')} packages, not ${describe(to)}`,
  ];
}

let fileCount = 0;
for (const p of packages) {
  const declared = new Set(p.deps);
  const declaredForTests = new Set([...p.deps, ...p.devDeps]);
  for (const file of sourceFiles(join(p.dir, 'src'))) {
    fileCount++;
    const testCode = p.layer === 'testing' || isTestCode(relative(p.dir, file));
    for (const { spec, line } of importsOf(file)) {
      // `path`: where the import lands inside its package.
      const checkTestCodeImport = (path) => {
        if (!testCode && isTestCode(path))
          report(
            file,
            line,
            'prod-imports-test-code',
            spec,
            'production code imports a spec or testing/ file',
          );
      };
      if (spec.startsWith('.') || spec.startsWith('/')) {
        const target = resolve(dirname(file), spec);
        const owner = packageOfPath(target);
        if (owner && owner !== p) {
          report(
            file,
            line,
            'relative-import',
            spec,
            `reaches into ${owner.name} by path; import the package`,
          );
          const problem = layerProblem(p, owner, testCode);
          if (problem) report(file, line, problem[0], spec, problem[1]);
        } else if (!owner && !target.startsWith(p.dir + sep)) {
          report(file, line, 'relative-import', spec, 'reaches outside its package');
        } else {
          checkTestCodeImport(relative(p.dir, target));
        }
        continue;
      }
      const builtin = builtinName(spec);
      if (builtin) {
        if (!testCode && p.layer === 'domain' && IO_BUILTINS.has(builtin)) {
          report(file, line, 'domain-no-io', spec, `${describe(p)} must not do I/O`);
        } else if (!testCode && p.layer === 'web') {
          report(file, line, 'web-no-node', spec, `${describe(p)} runs in the browser: no Node module`);
        }
        continue;
      }
      const name = packageName(spec);
      if (name === p.name) continue;
      const target = byName.get(name);
      if (target) {
        const problem = layerProblem(p, target, testCode);
        if (problem) report(file, line, problem[0], spec, problem[1]);
        checkTestCodeImport(spec.slice(name.length));
      } else if (!testCode && (p.layer === 'domain' || p.layer === 'web') && isIoPackage(name)) {
        report(file, line, ioRule(p), spec, `${describe(p)} must not do I/O`);
      }
      if (!(testCode ? declaredForTests : declared).has(name)) {
        report(
          file,
          line,
          'undeclared-dependency',
          spec,
          testCode
            ? `is in neither dependencies nor devDependencies of ${p.name}`
            : `is not in the dependencies of ${p.name}${p.devDeps.includes(name) ? ' (only in devDependencies)' : ''}`,
        );
      }
    }
  }
}

// --- package.json dependencies and tsconfig references -----------------------------------------

for (const p of packages) {
  const pkgFile = join(p.dir, 'package.json');
  for (const dep of p.deps) {
    const target = byName.get(dep);
    if (target) {
      const problem = layerProblem(p, target, p.layer === 'testing');
      if (problem) report(pkgFile, 0, problem[0], dep, `(dependencies) ${problem[1]}`);
    } else if ((p.layer === 'domain' || p.layer === 'web') && isIoPackage(dep)) {
      report(pkgFile, 0, ioRule(p), dep, `(dependencies) ${describe(p)} must not do I/O`);
    }
  }
  for (const dep of p.devDeps) {
    if (byName.get(dep)?.layer === 'app')
      report(pkgFile, 0, 'no-app-import', dep, '(devDependencies) nothing imports an app');
  }

  // Specs are compiled by `build-tests` (tsconfig.spec.json, or the whole tsconfig.json of a
  // testing package); without it they would silently never run.
  const hasSpecs = sourceFiles(join(p.dir, 'src')).some((f) => /\.(spec|test)\.[cm]?[jt]sx?$/.test(f));
  const specConfig = p.layer === 'testing' ? 'tsconfig.json' : 'tsconfig.spec.json';
  if (hasSpecs && !(p.json.scripts?.['build-tests'] && existsSync(join(p.dir, specConfig)))) {
    report(
      join(p.dir, 'package.json'),
      0,
      'specs-not-built',
      null,
      `${p.name} has specs but no "build-tests" script building ${specConfig}, so they never run`,
    );
  }

  // The production build (tsconfig.json) compiles no test code and references only dependencies.
  const tsconfigFile = join(p.dir, 'tsconfig.json');
  if (p.layer === 'testing' || !existsSync(tsconfigFile)) continue;
  const tsconfig = readJson(tsconfigFile);
  for (const ref of tsconfig.references ?? []) {
    const refDir = resolve(p.dir, ref.path);
    const target = packages.find((q) => q.dir === refDir || q.dir === dirname(refDir));
    if (target && target !== p && !p.deps.includes(target.name)) {
      report(
        tsconfigFile,
        0,
        'build-reference',
        ref.path,
        `the production build references ${target.name}, which is not in the dependencies of ${p.name} (test-only references go in tsconfig.spec.json)`,
      );
    }
  }
  const testFiles = sourceFiles(join(p.dir, 'src'))
    .map((f) => relative(p.dir, f))
    .filter(isTestCode);
  const exclude = new Set(tsconfig.exclude ?? []);
  const needs = [];
  if (testFiles.some((f) => /\.spec\./.test(f)) && !exclude.has('src/**/*.spec.ts'))
    needs.push('src/**/*.spec.ts');
  if (testFiles.some((f) => /(^|[\\/])testing[\\/]/.test(f)) && !exclude.has('src/**/testing/**')) {
    needs.push('src/**/testing/**');
  }
  if (needs.length > 0) {
    report(
      tsconfigFile,
      0,
      'test-code-in-build',
      null,
      `the production build must exclude ${needs.map((n) => `"${n}"`).join(' and ')}`,
    );
  }
}

// --- dependency closures ------------------------------------------------------------------------

/** Installed package `name` as node would resolve it from `fromDir` (null when not installed). */
function installedPackage(name, fromDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const pkgFile = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(pkgFile)) return { dir: dirname(pkgFile), json: readJson(pkgFile) };
    if (dir === root || dirname(dir) === dir) return null;
  }
}

/** The production dependency closure of `start`: Map name → path of names that brought it in. */
function closure(start) {
  const seen = new Map([[start.name, [start.name]]]);
  const queue = [{ name: start.name, dir: start.dir, deps: start.deps }];
  while (queue.length > 0) {
    const node = queue.shift();
    for (const dep of node.deps) {
      if (seen.has(dep)) continue;
      const path = [...seen.get(node.name), dep];
      seen.set(dep, path);
      const workspace = byName.get(dep);
      if (workspace) {
        queue.push({ name: dep, dir: workspace.dir, deps: workspace.deps });
        continue;
      }
      const installed = installedPackage(dep, node.dir);
      if (!installed) continue;
      const { dependencies = {}, optionalDependencies = {}, peerDependencies = {} } = installed.json;
      queue.push({
        name: dep,
        dir: installed.dir,
        deps: [
          ...Object.keys(dependencies),
          ...Object.keys(optionalDependencies),
          ...Object.keys(peerDependencies),
        ],
      });
    }
  }
  return seen;
}

if (closureOf) {
  const start = byName.get(closureOf);
  if (!start) {
    console.error(`check-boundaries: no workspace package ${closureOf}`);
    process.exit(2);
  }
  for (const [name, path] of [...closure(start)].sort(([a], [b]) => a.localeCompare(b))) {
    console.log(`${name}\t${path.join(' → ')}`);
  }
  process.exit(0);
}

for (const p of packages) {
  const banned = p.json.internvl?.mustNotDependOn ?? [];
  if (banned.length === 0) continue;
  const reached = closure(p);
  for (const name of banned) {
    const path = reached.get(name);
    if (path) {
      report(
        join(p.dir, 'package.json'),
        0,
        'closure',
        name,
        `is in the dependency closure of ${p.name}: ${path.join(' → ')}`,
      );
    }
  }
}

// --- result -------------------------------------------------------------------------------------

if (violations.length > 0) {
  for (const line of violations) console.log(line);
  console.error(`check-boundaries: ${violations.length} violation(s) in ${packages.length} packages`);
  process.exit(1);
}
console.log(`check-boundaries: ${packages.length} packages, ${fileCount} source files, no violations`);
