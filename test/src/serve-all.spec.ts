import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { chatClient, chatInput, streamChat, user } from './support/chat-calls';
import { CLI } from './support/paths';
import { freeStackPorts } from './support/ports';
import { buildTinyModel, TINY_MODEL_NAME } from './support/tiny-model';

test('internvl serve all --model DIR: four processes, chat over gRPC and HTTP, clean stop on SIGTERM', async () => {
  const model = await buildTinyModel();
  const {
    ports: { gateway, http },
    flags,
  } = await freeStackPorts();
  const stack = spawn(process.execPath, [CLI, 'serve', 'all', '--model', model, '--no-metrics', ...flags], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let banner = '';
  stack.stdout!.on('data', (chunk: Buffer) => (banner += chunk.toString()));
  const client = chatClient(`127.0.0.1:${gateway}`);
  try {
    const deadline = Date.now() + 60_000;
    let answer;
    for (;;) {
      try {
        answer = await streamChat(client, chatInput([user('Hello')], 4));
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    assert.ok(answer.tokenIds.length > 0);
    assert.match(banner, new RegExp(`gateway +grpc 127\\.0\\.0\\.1:${gateway}`));
    assert.match(banner, new RegExp(`openai +http://127\\.0\\.0\\.1:${http}/v1`));
    assert.match(banner, /internvl(\.js)?\S* chat --addr|main\.js chat --addr/);
    const models = (await (await fetch(`http://127.0.0.1:${http}/v1/models`)).json()) as {
      data: { id: string }[];
    };
    assert.deepEqual(
      models.data.map((m) => m.id),
      [TINY_MODEL_NAME],
    );
  } finally {
    client.close();
    stack.kill('SIGTERM');
  }
  const [code] = (await once(stack, 'exit')) as [number | null];
  assert.equal(code, 0, 'every tier drained and exited cleanly');
});
