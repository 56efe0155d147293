import { strict as assert } from 'node:assert';
import { request as httpRequest } from 'node:http';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { delta, FakeChatEngine, finish } from './testing/fake-chat-engine';
import { MODEL, startTestServer } from './testing/openai-test-server';

test('drain(): a slow stream in flight ends with all its chunks and [DONE]; the listener is closed', async () => {
  const engine = new FakeChatEngine(async function* () {
    for (const word of ['one', ' two', ' three', ' four']) {
      yield delta(word);
      await sleep(150);
    }
    yield finish();
  });
  const { server } = await startTestServer({}, engine);
  const url = `http://127.0.0.1:${server.port}/v1/chat/completions`;
  const body = JSON.stringify({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'hi' }] });
  const started = engine.nextRun();
  const whole = new Promise<string>((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.once('end', () => resolve(text));
      },
    );
    req.once('error', reject);
    req.end(body);
  });
  const run = await started;
  const drained = server.drain(5_000);
  await sleep(50);
  await assert.rejects(fetch(`http://127.0.0.1:${server.port}/health`), 'no new connections');
  const text = await whole;
  for (const word of ['one', 'two', 'three', 'four']) assert.ok(text.includes(word), word);
  assert.match(text, /data: \[DONE\]\n\n$/);
  assert.equal(run.aborted, false);
  await drained;
});
