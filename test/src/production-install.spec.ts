import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { healthStatus } from './support/grpc-probes';
import { FIXTURES, REPO_ROOT } from './support/paths';
import { startServer, type RunningProcess } from './support/processes';
import { buildTinyModel, TINY_MODEL_NAME } from './support/tiny-model';

// The container image's runtime stage, without building the image (no container daemon or registry
// here): the files tools/deploy/docker/runtime-files.mjs picks for it (the Dockerfile copies with
// the same script), `npm ci --omit=dev --ignore-scripts` on them, then every tier started from that
// folder alone answers health, and a chat with an image goes through all four.
const DOCKER = join(REPO_ROOT, 'tools', 'deploy', 'docker');
const RUNTIME_FILES = join(DOCKER, 'runtime-files.mjs');
const SERVICES = {
  preprocess: 'internvl.v1.PreprocessService',
  vision: 'internvl.v1.VisionService',
  llm: 'internvl.v1.LlmService',
  gateway: 'internvl.v1.ChatService',
} as const;
/** devDependencies of the workspace that must not reach the image. */
const DEV_ONLY = [
  'eslint',
  'typescript',
  'nx',
  'prettier',
  'madge',
  'ts-proto',
  'typescript-eslint',
  'openai',
];

/** The parent's env minus npm's own (`npm test` sets npm_config_*, which would steer the inner npm). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
}

function run(command: string, args: string[], cwd: string, timeoutMs = 120_000) {
  const result = spawnSync(command, args, { cwd, env: cleanEnv(), encoding: 'utf8', timeout: timeoutMs });
  assert.equal(
    result.status,
    0,
    `${command} ${args.join(' ')} failed (${result.error?.message ?? result.status}):\n${result.stdout}\n${result.stderr}`,
  );
  return result;
}

function walk(dir: string, out: string[] = [], rel = ''): string[] {
  for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (path !== 'node_modules') walk(dir, out, path);
    } else out.push(path);
  }
  return out;
}

describe("the image's runtime stage: production files + npm ci --omit=dev start every tier", () => {
  let app: string;
  let model: string;
  let copied: string[];
  const running = new Map<string, RunningProcess>();

  before(async () => {
    app = mkdtempSync(join(tmpdir(), 'internvl-image-'));
    [model] = await Promise.all([
      buildTinyModel(),
      (async () => {
        run(process.execPath, [RUNTIME_FILES, 'manifests', REPO_ROOT, app], REPO_ROOT);
        run(process.execPath, [RUNTIME_FILES, 'app', REPO_ROOT, app], REPO_ROOT);
        copied = walk(app);
        // Offline: the npm cache is warm from the repository's own `npm ci`, and no registry is needed.
        run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--offline', '--no-audit', '--no-fund'], app);
        run(process.execPath, [RUNTIME_FILES, 'prune', app], REPO_ROOT);
      })(),
    ]);
  });
  after(async () => {
    await Promise.all([...running.values()].map((r) => r.stop()));
    if (app) rmSync(app, { recursive: true, force: true });
  });

  test('the Dockerfile builds its stages with runtime-files.mjs and the same npm ci', () => {
    const dockerfile = readFileSync(join(DOCKER, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    for (const mode of ['manifests', 'app', 'prune'])
      assert.match(dockerfile, new RegExp(`runtime-files\\.mjs ${mode} `), `runtime-files.mjs ${mode}`);
    assert.match(dockerfile, /npm ci --omit=dev --ignore-scripts/);
    // The runtime stage holds what the prod-deps and build stages made, nothing else from the context.
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime\n'));
    const copies = [...runtime.matchAll(/^COPY (.*)$/gm)].map((m) => m[1]!);
    assert.ok(copies.length > 0 && copies.every((c) => c.startsWith('--from=')), copies.join('\n'));
    assert.match(runtime, /^USER 10001:10001$/m);
    assert.match(
      runtime,
      /^ENTRYPOINT \["\/usr\/bin\/tini", "--", "node", "\/app\/tools\/cli\/dist\/main\.js"\]$/m,
    );
    assert.match(runtime, /^CMD \["serve", "gateway"\]$/m);
  });

  test("the CUDA build arg runs onnxruntime-node's own installer, which fetches the CUDA 12 provider", () => {
    const dockerfile = readFileSync(join(DOCKER, 'Dockerfile'), 'utf8');
    assert.match(
      dockerfile,
      /ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install\.js/,
    );
    const ort = join(app, 'node_modules', 'onnxruntime-node');
    assert.ok(existsSync(join(ort, 'script', 'install.js')), 'the installer is in the production install');
    // What the installer does with cuda12 on linux/x64, read from its own metadata.
    const metadataFile = join(ort, 'script', 'install-metadata.js');
    const printed = run(
      process.execPath,
      ['-p', `JSON.stringify(require(${JSON.stringify(metadataFile)}))`],
      app,
    );
    const metadata = JSON.parse(printed.stdout) as {
      requirements: Record<string, string[]>;
      manifests: Record<string, Record<string, unknown>>;
    };
    assert.ok(metadata.requirements['linux/x64']!.includes('cuda12'));
    const files = Object.keys(metadata.manifests['linux/x64:cuda12']!);
    assert.ok(files.includes('./libonnxruntime_providers_cuda.so'), files.join(', '));
    assert.match(
      dockerfile,
      /test -f node_modules\/onnxruntime-node\/bin\/napi-v6\/linux\/x64\/libonnxruntime_providers_cuda\.so/,
    );
  });

  test('only production code was copied: dist/ without specs, testing/ or declarations, and proto/', () => {
    assert.ok(copied.includes('tools/cli/dist/main.js'));
    for (const tier of Object.keys(SERVICES)) assert.ok(copied.includes(`apps/${tier}/dist/main.js`), tier);
    assert.ok(copied.includes('proto/internvl/v1/chat.proto'));
    assert.ok(copied.includes('package-lock.json'));
    const bad = copied.filter(
      (f) =>
        /\.spec\./.test(f) ||
        /(^|\/)testing\//.test(f) ||
        f.endsWith('.d.ts') ||
        /tsbuildinfo/.test(f) ||
        /\/src\//.test(f) ||
        (f.startsWith('test/') && f !== 'test/package.json') ||
        f.startsWith('libs/reference-model/dist') ||
        f.startsWith('tools/bench/dist'),
    );
    assert.deepEqual(bad, []);
  });

  test('no devDependency was installed; onnxruntime-node keeps only this platform', () => {
    for (const name of DEV_ONLY) assert.ok(!existsSync(join(app, 'node_modules', name)), `${name} installed`);
    const bin = join(app, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6');
    const platforms = readdirSync(bin).flatMap((p) => readdirSync(join(bin, p)).map((a) => `${p}/${a}`));
    assert.deepEqual(platforms, [`${process.platform}/${process.arch}`]);
    // Modules resolve inside the folder, not from the repository's node_modules.
    const resolved = run(process.execPath, ['-p', "require.resolve('@grpc/grpc-js')"], app).stdout.trim();
    assert.ok(resolved.startsWith(app), resolved);
  });

  test('every tier starts from the folder and answers grpc.health.v1 SERVING; a chat with an image works', async () => {
    const cli = join(app, 'tools', 'cli', 'dist', 'main.js');
    const serve = async (tier: string, args: string[]) => {
      const server = await startServer(cli, ['serve', tier, '--port', '0', '--metrics-port', '0', ...args]);
      running.set(tier, server);
      return server;
    };
    const [preprocess, vision, llm] = await Promise.all([
      serve('preprocess', []),
      serve('vision', ['--model', model]),
      serve('llm', ['--model', model]),
    ]);
    const gateway = await serve('gateway', [
      '--http-port',
      '0',
      '--preprocess-addr',
      `127.0.0.1:${preprocess.port}`,
      '--vision-addr',
      `127.0.0.1:${vision.port}`,
      '--llm-addr',
      `127.0.0.1:${llm.port}`,
    ]);
    for (const [tier, service] of Object.entries(SERVICES)) {
      const address = `127.0.0.1:${running.get(tier)!.port}`;
      assert.equal(await healthStatus(address), 'SERVING', tier);
      // The gateway's ChatService turns SERVING after its first round of downstream health checks.
      for (let i = 0; i < 100 && (await healthStatus(address, service)) !== 'SERVING'; i++)
        await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(await healthStatus(address, service), 'SERVING', `${tier} ${service}`);
    }
    // sharp (decode), onnxruntime-node (vision, llm) and the tokenizer, all from the production install.
    const http = gateway.logs.find(
      (l) => typeof l.msg === 'string' && /openai http listening on/.test(l.msg),
    );
    const base = /(https?:\/\/\S+)/.exec(String(http?.msg))![1]!.replace(/\/$/, '');
    const image = readFileSync(join(FIXTURES, 'images', 'image1.jpg')).toString('base64');
    const response = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: TINY_MODEL_NAME,
        max_tokens: 3,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${image}` } },
              { type: 'text', text: 'Describe the image.' },
            ],
          },
        ],
      }),
    });
    const body = (await response.json()) as { choices?: Array<{ finish_reason: string }>; usage?: object };
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.equal(body.choices?.[0]?.finish_reason, 'length');
  });
});
