import { strict as assert } from 'node:assert';
import { rmSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { after, before, test } from 'node:test';
import { credentials, Metadata } from '@grpc/grpc-js';
import { ChatServiceClient, type ChatResponse } from '@internvl/contracts';
import { chat, echoOf, FakeStack, image, text, user } from './testing/chat-fixtures';
import { startGateway } from './testing/start-gateway';
import { writeTestCertFiles } from './testing/test-cert-files';

let stack: FakeStack;
before(async () => {
  stack = await FakeStack.start();
});
after(() => stack.stop());

const start = (extra: string[]) => startGateway(stack, extra);

async function modelIds(httpPort: number, key?: string): Promise<string[]> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/v1/models`, {
    headers: key ? { authorization: `Bearer ${key}` } : {},
  });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { data: Array<{ id: string }> };
  return body.data.map((m) => m.id);
}

test('the gateway serves ChatService and the HTTP API, named after the llm model, behind the API keys', async () => {
  const { service, runtime } = await start(['--api-keys', 'k-1']);
  try {
    assert.equal(runtime.modelName, 'fake-internvl');
    assert.ok(runtime.httpPort > 0 && runtime.httpPort !== service.port);
    assert.deepEqual(await modelIds(runtime.httpPort, 'k-1'), ['fake-internvl']);
    assert.equal((await fetch(`http://127.0.0.1:${runtime.httpPort}/v1/models`)).status, 401);

    const client = new ChatServiceClient(`127.0.0.1:${service.port}`, credentials.createInsecure());
    const metadata = new Metadata();
    metadata.set('authorization', 'Bearer k-1');
    const response = await new Promise<ChatResponse>((resolve, reject) =>
      client.chat({ input: chat(user(image('tiles=2 x'), text('hi'))) }, metadata, (err, res) =>
        err ? reject(err) : resolve(res),
      ),
    );
    client.close();
    assert.equal(echoOf(response.text).images[0]!.numTiles, 2);
  } finally {
    await service.stop('test over');
  }
  await assert.rejects(
    fetch(`http://127.0.0.1:${runtime.httpPort}/v1/models`),
    'the HTTP API closes with the app',
  );
});

test('when the llm does not answer in time, the HTTP API takes model_name or the fallback', async () => {
  const unreachable = ['--llm-addr', '127.0.0.1:1', '--model-name-wait-ms', '200'];
  const fallback = await start(unreachable);
  await fallback.service.stop('test over');
  assert.equal(fallback.runtime.modelName, 'internvl');
  const named = await start([...unreachable, '--model-name', 'my-vlm']);
  await named.service.stop('test over');
  assert.equal(named.runtime.modelName, 'my-vlm');
});

test('a bad downstream address is refused at start-up, naming the option', async () => {
  await assert.rejects(
    start(['--vision-addr', 'a.example:1,b.example:2']),
    /--vision-addr \(INTERNVL_GATEWAY_VISION_ADDR\): several addresses/,
  );
});

test('with tls_cert_file and tls_key_file both the gRPC and the HTTP port speak TLS', async () => {
  const tls = writeTestCertFiles();
  const { service, runtime } = await start(['--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile]);
  try {
    const client = new ChatServiceClient(`127.0.0.1:${service.port}`, credentials.createSsl(tls.cert));
    const response = await new Promise<ChatResponse>((resolve, reject) =>
      client.chat({ input: chat(user(text('over tls'))) }, (err, res) => (err ? reject(err) : resolve(res))),
    );
    client.close();
    assert.equal(echoOf(response.text).turns[0]!.text, 'over tls');
    const status = await new Promise<number | undefined>((resolve, reject) =>
      httpsGet(`https://127.0.0.1:${runtime.httpPort}/v1/models`, { ca: tls.cert }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on('error', reject),
    );
    assert.equal(status, 200);
  } finally {
    await service.stop('test over');
    rmSync(tls.dir, { recursive: true, force: true });
  }
});
