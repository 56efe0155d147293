import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { generationParams, type ChatResponse } from '@internvl/contracts';
import type OpenAI from 'openai';
import { APIError } from 'openai';
import { chatInput, user } from './support/chat-calls';
import { tinyStackForSuite } from './support/suite-stack';
import { TINY_MODEL_NAME } from './support/tiny-model';

// logprobs from the llm tier, through the gateway: the OpenAI HTTP API (whole and streamed) and
// the gRPC ChatService agree token for token.

/** Each entry's token, bytes and alternatives, without the logprob values. */
const tokensOf = (content: OpenAI.Chat.ChatCompletionTokenLogprob[]) =>
  content.map((e) => ({ token: e.token, bytes: e.bytes, top: e.top_logprobs.map((t) => t.token) }));

describe('logprobs through the whole stack (OpenAI HTTP and gRPC ChatService)', () => {
  const { openai, grpc } = tinyStackForSuite();

  const body = {
    model: TINY_MODEL_NAME,
    max_tokens: 10,
    logprobs: true,
    top_logprobs: 3,
    messages: [{ role: 'user' as const, content: 'Name three colours.' }],
  };

  test('greedy: one entry per completion token, top_logprobs sorted and led by the token; the stream carries the same', async () => {
    const whole = await openai.chat.completions.create(body);
    const content = whole.choices[0]!.logprobs!.content!;
    assert.equal(content.length, whole.usage!.completion_tokens);
    for (const entry of content) {
      assert.ok(entry.logprob <= 0 && Number.isFinite(entry.logprob));
      assert.equal(entry.top_logprobs.length, 3);
      assert.deepEqual(entry.top_logprobs[0], {
        token: entry.token,
        logprob: entry.logprob,
        bytes: entry.bytes,
      });
      for (let k = 1; k < 3; k++)
        assert.ok(entry.top_logprobs[k - 1]!.logprob >= entry.top_logprobs[k]!.logprob);
    }
    const stream = await openai.chat.completions.create({ ...body, stream: true });
    const streamed: typeof content = [];
    let text = '';
    for await (const chunk of stream) {
      streamed.push(...(chunk.choices[0]?.logprobs?.content ?? []));
      text += chunk.choices[0]?.delta.content ?? '';
    }
    assert.equal(text, whole.choices[0]!.message.content);
    // The same tokens; logprobs within float noise (the second run prefills from the prefix cache).
    assert.deepEqual(tokensOf(streamed), tokensOf(content));
    streamed.forEach((e, i) => assert.ok(Math.abs(e.logprob - content[i]!.logprob) < 1e-4, `token ${i}`));
  });

  test('gRPC Chat collects the same logprobs into ChatChoice.logprobs', async () => {
    const whole = await openai.chat.completions.create(body);
    const input = chatInput([user('Name three colours.')], 10);
    input.params = generationParams({ maxNewTokens: 10, logprobs: true, topLogprobs: 3 });
    const response = await new Promise<ChatResponse>((resolve, reject) =>
      grpc.chat({ input }, (e, r) => (e ? reject(e) : resolve(r))),
    );
    const choice = response.choices[0]!;
    assert.deepEqual(
      choice.logprobs.map((l) => l.tokenId),
      response.tokenIds,
    );
    const http = whole.choices[0]!.logprobs!.content!;
    assert.deepEqual(
      choice.logprobs.map((l) => ({ token: l.token, bytes: [...l.bytes], top: l.top.map((t) => t.token) })),
      tokensOf(http),
    );
    choice.logprobs.forEach((l, i) => assert.ok(Math.abs(l.logprob - http[i]!.logprob) < 1e-4));
  });

  test('top_logprobs without logprobs is a 400; penalties out of range too', async () => {
    for (const extra of [{ logprobs: false }, { logprobs: false, presence_penalty: 3 }]) {
      await assert.rejects(openai.chat.completions.create({ ...body, ...extra }), (err) => {
        assert.ok(err instanceof APIError);
        assert.equal(err.status, 400);
        return true;
      });
    }
    await assert.rejects(
      openai.chat.completions.create({ ...body, frequency_penalty: -2.5 }),
      (err) => err instanceof APIError && err.status === 400 && err.param === 'frequency_penalty',
    );
  });
});
