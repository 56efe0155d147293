import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import OpenAI, { APIError } from 'openai';
import { Role } from '@internvl/contracts';
import { UnavailableError } from '@internvl/errors';
import { answer, delta, failAfter } from './testing/fake-chat-engine';
import { dataUrl, MODEL, startTestServer, type TestServer } from './testing/openai-test-server';

const question = { model: MODEL, messages: [{ role: 'user' as const, content: 'Say hello' }] };

describe('the official openai client talks to this server', () => {
  let server: TestServer;
  let client: OpenAI;
  before(async () => {
    server = await startTestServer({ apiKeys: ['sk-test'] });
    client = new OpenAI({ apiKey: 'sk-test', baseURL: `${server.url}/v1`, maxRetries: 0 });
  });
  after(() => server.close());

  test('chat.completions.create returns the whole answer with usage', async () => {
    const completion = await client.chat.completions.create({ ...question, max_tokens: 16 });
    assert.deepEqual(completion.choices[0].message, { role: 'assistant', content: 'Hello, world' });
    assert.equal(completion.choices[0].finish_reason, 'stop');
    assert.deepEqual(completion.usage, {
      prompt_tokens: 12,
      completion_tokens: 3,
      total_tokens: 15,
      prompt_tokens_details: { cached_tokens: 0, image_tokens: 0 },
    });
    assert.equal(server.engine.lastInput.params?.maxNewTokens, 16);
  });

  test('stream: true yields the chunks, and include_usage a last usage chunk', async () => {
    const stream = await client.chat.completions.create({
      ...question,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const reasons: (string | null)[] = [];
    let total: number | undefined;
    for await (const chunk of stream) {
      for (const choice of chunk.choices) {
        text += choice.delta.content ?? '';
        reasons.push(choice.finish_reason);
      }
      if (chunk.usage) total = chunk.usage.total_tokens;
    }
    assert.equal(text, 'Hello, world');
    assert.equal(reasons.at(-1), 'stop');
    assert.equal(total, 15);
  });

  test('an image content part reaches the engine as image bytes', async () => {
    const image = Buffer.from('png bytes');
    await client.chat.completions.create({
      model: MODEL,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: dataUrl(image), detail: 'high' } },
            { type: 'text', text: 'Describe it.' },
          ],
        },
      ],
    });
    const [message] = server.engine.lastInput.messages;
    assert.equal(message.role, Role.ROLE_USER);
    const part = message.content[0].part;
    assert.ok(part?.$case === 'image');
    assert.deepEqual(part.value.data, image);
  });

  test('models.list shows the served model', async () => {
    const models = await client.models.list();
    assert.deepEqual(
      models.data.map((m) => [m.id, m.owned_by]),
      [[MODEL, 'internvl']],
    );
  });

  test('errors surface as the client’s APIError with status, code and param', async () => {
    await assert.rejects(client.chat.completions.create({ ...question, n: 17 }), (err) => {
      assert.ok(err instanceof APIError);
      assert.equal(err.status, 400);
      assert.equal(err.param, 'n');
      return true;
    });
    const wrongKey = new OpenAI({ apiKey: 'sk-wrong', baseURL: `${server.url}/v1`, maxRetries: 0 });
    await assert.rejects(wrongKey.chat.completions.create(question), (err) => {
      assert.ok(err instanceof APIError);
      assert.equal(err.status, 401);
      assert.equal(err.code, 'invalid_api_key');
      return true;
    });
  });

  test('an error in the middle of a stream is thrown by the iterator', async (t) => {
    t.after(() => (server.engine.script = answer(['Hello', ', world'])));
    server.engine.script = failAfter([delta('Hel')], new UnavailableError('llm tier unreachable'));
    const stream = await client.chat.completions.create({ ...question, stream: true });
    let text = '';
    await assert.rejects(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      })(),
      (err) => {
        assert.ok(err instanceof APIError);
        assert.match(err.message, /llm tier unreachable/);
        return true;
      },
    );
    assert.equal(text, 'Hel');
  });
});
