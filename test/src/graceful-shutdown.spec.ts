import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { LlmServiceClient, type GenerateResponse, generationParams } from '@internvl/contracts';
import { FIXTURE_SERVER } from './support/paths';
import { startServer } from './support/processes';
import { healthStatus } from './support/grpc-probes';

/** A Generate call to the fixture server that asks for `maxNewTokens` deltas; its request side is ended. */
function generate(client: LlmServiceClient, maxNewTokens: number) {
  const call = client.generate();
  call.write({
    kind: {
      $case: 'header',
      value: {
        prompt: undefined,
        images: [],
        params: generationParams({ maxNewTokens }),
        returnPrompt: false,
      },
    },
  });
  call.end();
  return call;
}

test('SIGTERM: a stream in flight completes, health turns NOT_SERVING, new calls are refused, exit 0', async () => {
  const server = await startServer(FIXTURE_SERVER, ['--port', '0', '--tick-ms', '150']);
  const address = `127.0.0.1:${server.port}`;
  const client = new LlmServiceClient(address, credentials.createInsecure());
  const events: GenerateResponse[] = [];
  const call = generate(client, 10);
  const done = new Promise<void>((resolve, reject) => {
    call.on('data', (e: GenerateResponse) => events.push(e));
    call.on('error', reject);
    call.on('end', () => resolve());
  });
  while (events.length < 2) await new Promise((r) => setTimeout(r, 20));

  const exited = server.stop('SIGTERM');
  // The server drains: the in-flight stream keeps going while new calls are refused.
  await new Promise((r) => setTimeout(r, 200));
  const fresh = new LlmServiceClient(address, credentials.createInsecure());
  const refused = await new Promise<ServiceError>((resolve) => {
    const c = fresh.generate();
    c.on('error', resolve);
    c.end();
  });
  assert.equal(refused.code, status.UNAVAILABLE, `new call refused, got ${refused.code} ${refused.details}`);
  await assert.rejects(healthStatus(address));

  await done;
  assert.equal(events.filter((e) => e.kind?.$case === 'delta').length, 10, 'all 10 deltas arrived');
  assert.equal(events.at(-1)?.kind?.$case, 'finish');
  assert.equal(await exited, 0);
  client.close();
  fresh.close();
  assert.ok(server.logs.some((l) => l.msg === 'shutdown complete'));
});

test('a second SIGTERM forces shutdown: the in-flight stream is aborted', async () => {
  const server = await startServer(FIXTURE_SERVER, ['--port', '0', '--tick-ms', '1000']);
  const client = new LlmServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
  const call = generate(client, 100);
  const failed = new Promise<ServiceError>((resolve) => call.on('error', resolve));
  call.on('data', () => undefined);
  await new Promise((r) => setTimeout(r, 300));
  server.proc.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 200));
  const exitCode = await server.stop('SIGTERM');
  const err = await failed;
  assert.notEqual(err.code, status.OK);
  assert.equal(exitCode, 0);
  client.close();
});
