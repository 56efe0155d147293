import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import OpenAI, { APIError } from 'openai';
import type { StreamChatResponse, TokenLogprob } from '@internvl/contracts';
import { events, finish } from './testing/fake-chat-engine';
import { MODEL, postJson, startTestServer, type TestServer } from './testing/openai-test-server';

const question = { model: MODEL, messages: [{ role: 'user' as const, content: 'Say hi' }] };

/** A TokenLogprob as the llm tier sends it (greedy): the token first among its 2 alternatives. */
function entry(tokenId: number, token: string, bytes: number[], logprob: number): TokenLogprob {
  const top = [
    { tokenId, token, bytes: Buffer.from(bytes), logprob },
    { tokenId: 99, token: ' Yo', bytes: Buffer.from(' Yo'), logprob: logprob - 1 },
  ];
  return { tokenId, token, bytes: Buffer.from(bytes), logprob, top };
}

function delta(text: string, logprobs: TokenLogprob[]): StreamChatResponse {
  return {
    kind: { $case: 'delta', value: { text, tokenIds: logprobs.map((l) => l.tokenId), logprobs, index: 0 } },
  };
}

// " Hi" then "你" (E4 BD A0) in three byte-fallback tokens: two deltas without text, then the character.
const ENTRIES = [
  entry(10, ' Hi', [...Buffer.from(' Hi')], -0.25),
  entry(11, '\\xe4', [0xe4], -0.5),
  entry(12, '\\xbd', [0xbd], -0.125),
  entry(13, '\\xa0', [0xa0], -1.5),
];
const SCRIPT = () =>
  events([
    delta(' Hi', [ENTRIES[0]!]),
    delta('', [ENTRIES[1]!]),
    delta('', [ENTRIES[2]!]),
    delta('你', [ENTRIES[3]!]),
    finish(),
  ]);

/** What OpenAI's API shows for ENTRIES. */
const EXPECTED = ENTRIES.map((e) => ({
  token: e.token,
  logprob: e.logprob,
  bytes: [...e.bytes],
  top_logprobs: e.top.map((t) => ({ token: t.token, logprob: t.logprob, bytes: [...t.bytes] })),
}));

describe('logprobs and penalties over the OpenAI HTTP API (official openai client)', () => {
  let server: TestServer;
  let client: OpenAI;
  before(async () => {
    server = await startTestServer();
    server.engine.script = SCRIPT;
    client = new OpenAI({ apiKey: 'sk-none', baseURL: `${server.url}/v1`, maxRetries: 0 });
  });
  after(() => server.close());

  test('non-streamed: choices[0].logprobs.content holds every token with its top_logprobs', async () => {
    const completion = await client.chat.completions.create({ ...question, logprobs: true, top_logprobs: 2 });
    assert.equal(completion.choices[0]!.message.content, ' Hi你');
    const content = completion.choices[0]!.logprobs?.content;
    assert.deepEqual(content, EXPECTED);
    assert.equal(Buffer.from(content!.flatMap((c) => c.bytes)).toString('utf8'), ' Hi你');
    const params = server.engine.lastInput.params!;
    assert.equal(params.logprobs, true);
    assert.equal(params.topLogprobs, 2);
  });

  test('streamed: each chunk carries the logprobs of its tokens (a character’s bytes come with it)', async () => {
    const stream = await client.chat.completions.create({
      ...question,
      stream: true,
      logprobs: true,
      top_logprobs: 2,
    });
    const chunks: { text: string; tokens: string[] }[] = [];
    const all: unknown[] = [];
    for await (const chunk of stream) {
      const choice = chunk.choices[0]!;
      const content = choice.logprobs?.content ?? [];
      all.push(...content);
      if (choice.delta.content)
        chunks.push({ text: choice.delta.content, tokens: content.map((c) => c.token) });
    }
    assert.deepEqual(chunks, [
      { text: ' Hi', tokens: [' Hi'] },
      { text: '你', tokens: ['\\xe4', '\\xbd', '\\xa0'] },
    ]);
    assert.deepEqual(all, EXPECTED);
  });

  test('logprobs left out: null on the choice and on every chunk', async () => {
    const completion = await client.chat.completions.create(question);
    assert.equal(completion.choices[0]!.logprobs, null);
    assert.equal(server.engine.lastInput.params!.logprobs, false);
    const stream = await client.chat.completions.create({ ...question, stream: true });
    for await (const chunk of stream) assert.equal(chunk.choices[0]?.logprobs ?? null, null);
  });

  test('top_logprobs without logprobs: true, or over 20, is a 400 naming it', async () => {
    for (const body of [
      { top_logprobs: 2 },
      { logprobs: false, top_logprobs: 1 },
      { logprobs: true, top_logprobs: 21 },
    ]) {
      await assert.rejects(client.chat.completions.create({ ...question, ...body }), (err) => {
        assert.ok(err instanceof APIError, String(err));
        assert.equal(err.status, 400);
        assert.equal(err.param, 'top_logprobs');
        return true;
      });
    }
  });

  test('presence_penalty and frequency_penalty reach the engine; outside [-2, 2] is a 400 naming the field', async () => {
    await client.chat.completions.create({ ...question, presence_penalty: 0.5, frequency_penalty: -1.25 });
    const params = server.engine.lastInput.params!;
    assert.equal(params.presencePenalty, 0.5);
    assert.equal(params.frequencyPenalty, -1.25);
    for (const [field, value] of [
      ['presence_penalty', 2.5],
      ['frequency_penalty', -3],
    ] as const) {
      const response = await postJson(`${server.url}/v1/chat/completions`, { ...question, [field]: value });
      assert.equal(response.status, 400);
      const error = (response.json as { error: { message: string; param: string } }).error;
      assert.equal(error.param, field);
      assert.match(error.message, new RegExp(`'${field}' must be >= -2 and <= 2`));
    }
  });
});
