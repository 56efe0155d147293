import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from './support/paths';
import { freeStackPorts } from './support/ports';
import { buildTinyModel } from './support/tiny-model';

test('npm start (tools/scripts/start.mjs): the first line of the running stack is the playground URL', async () => {
  const model = await buildTinyModel();
  const { ports, flags } = await freeStackPorts();
  const start = spawn(
    process.execPath,
    [join(REPO_ROOT, 'tools', 'scripts', 'start.mjs'), '--no-metrics', ...flags],
    // An existing model of the current format: start.mjs builds (cached) and serves it.
    { env: { ...process.env, INTERNVL_DEFAULT_MODEL: model }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  start.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  start.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${ports.http}/`;
  try {
    const deadline = Date.now() + 90_000;
    while (!stdout.includes('playground: ')) {
      assert.ok(
        Date.now() < deadline && start.exitCode === null,
        `no playground line:\n${stdout}\n${stderr}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const lines = stdout.split('\n').filter((l) => l.trim() !== '');
    // Only start.mjs's own preparation comes before it; the stack's banner and logs follow it.
    assert.deepEqual(lines.slice(0, 2), [
      'building (cached after the first run)…',
      `playground: ${url}   (OpenAI API: ${url}v1)`,
    ]);
    assert.match(stdout.slice(stdout.indexOf('playground: ')), /internvl stack starting on 127\.0\.0\.1/);
    // The URL is live: the gateway's HTTP server answers on it.
    const models = await fetch(`${url}v1/models`);
    assert.equal(models.status, 200);
  } finally {
    start.kill('SIGTERM');
  }
  const [code] = (await once(start, 'exit')) as [number | null];
  assert.equal(code, 0, `every tier drained and exited cleanly:\n${stderr.slice(-2000)}`);
  // The tiers' logs came through after the URL, up to their shutdown.
  assert.match(stderr, /"msg":"openai http listening on http:\/\/127\.0\.0\.1:\d+"/);
  assert.match(stderr, /shutdown complete/);
});
