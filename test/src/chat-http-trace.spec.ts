import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Metadata } from '@grpc/grpc-js';
import type { SpanRecord } from '@internvl/telemetry';
import { chatInput, streamChat, user } from './support/chat-calls';
import { FIXTURES } from './support/paths';
import { tinyStackForSuite } from './support/suite-stack';
import { TINY_MODEL_NAME } from './support/tiny-model';

const IMAGE1 = readFileSync(join(FIXTURES, 'images', 'image1.jpg'));
const TIERS = ['gateway', 'preprocess', 'vision', 'llm'] as const;

function readSpans(file: string): SpanRecord[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as SpanRecord);
}

describe('the stack seen from outside: OpenAI HTTP clients and one trace across tiers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'internvl-chat-trace-'));
  const traceFile = (tier: string) => join(dir, `${tier}.jsonl`);
  const { openai, grpc } = tinyStackForSuite({
    env: Object.fromEntries(TIERS.map((t) => [t, { INTERNVL_TRACE_FILE: traceFile(t) }])),
  });

  test('the official openai client streams a chat with an image (data: URL) and lists the model', async () => {
    const models = await openai.models.list();
    assert.deepEqual(
      models.data.map((m) => m.id),
      [TINY_MODEL_NAME],
    );
    const stream = await openai.chat.completions.create({
      model: TINY_MODEL_NAME,
      stream: true,
      max_tokens: 12,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${IMAGE1.toString('base64')}` } },
            { type: 'text', text: 'Describe the image.' },
          ],
        },
      ],
    });
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.ok(finish === 'stop' || finish === 'length', `finish_reason ${finish}`);
    // The same question over gRPC (max_num default 12 on both sides) gives the same text.
    const overGrpc = await streamChat(grpc, chatInput([user('Describe the image.', [IMAGE1], 0)], 12));
    assert.equal(text, overGrpc.text);
    const whole = await openai.chat.completions.create({
      model: TINY_MODEL_NAME,
      max_tokens: 12,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    assert.equal(whole.object, 'chat.completion');
    assert.ok((whole.usage?.completion_tokens ?? 0) > 0);
  });

  test('a repeated image question reports its reused prompt as cached_tokens, in the usage and on the llm span', async () => {
    const ask = () =>
      openai.chat.completions.create({
        model: TINY_MODEL_NAME,
        max_tokens: 4,
        messages: [
          {
            role: 'user',
            content: [
              {
                type: 'image_url',
                image_url: { url: `data:image/jpeg;base64,${IMAGE1.toString('base64')}` },
              },
              { type: 'text', text: 'Count the objects, please.' },
            ],
          },
        ],
      });
    const first = await ask();
    const second = await ask();
    // Another question about an image seen before reuses the blocks up to the question; the same
    // question again reuses all but the last prompt block.
    assert.ok(
      first.usage!.prompt_tokens_details!.cached_tokens! <=
        second.usage!.prompt_tokens_details!.cached_tokens!,
    );
    const prompt = second.usage!.prompt_tokens;
    const cached = second.usage!.prompt_tokens_details!.cached_tokens!;
    assert.ok(cached >= prompt - 16 && cached < prompt, `${cached} of ${prompt} prompt tokens cached`);
    assert.equal(second.choices[0]!.message.content, first.choices[0]!.message.content);
    const deadline = Date.now() + 15_000;
    const recorded = () =>
      readSpans(traceFile('llm')).some(
        (s) => s.name === 'llm.prefill' && s.attributes['gen_ai.usage.cache_read.input_tokens'] === cached,
      );
    while (!recorded()) {
      assert.ok(Date.now() < deadline, 'no llm.prefill span with gen_ai.usage.cache_read.input_tokens');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  test('one trace id covers the gateway, preprocess, vision and llm spans of a chat', async () => {
    const traceId = randomBytes(16).toString('hex');
    const metadata = new Metadata();
    metadata.set('traceparent', `00-${traceId}-${randomBytes(8).toString('hex')}-01`);
    await streamChat(grpc, chatInput([user('What is it?', [IMAGE1])], 4), { metadata });
    // Span exporters flush in batches; wait for every tier's spans of this trace.
    const deadline = Date.now() + 15_000;
    const names = new Map<string, string[]>();
    for (;;) {
      for (const tier of TIERS) {
        let spans: SpanRecord[] = [];
        try {
          spans = readSpans(traceFile(tier)).filter((s) => s.traceId === traceId);
        } catch {
          // not written yet
        }
        names.set(
          tier,
          spans.map((s) => s.name),
        );
      }
      const seen = (tier: string, pattern: RegExp) => names.get(tier)!.some((n) => pattern.test(n));
      if (
        seen('gateway', /StreamChat/) &&
        seen('preprocess', /Preprocess/) &&
        seen('vision', /vision\.run|Embed/) &&
        seen('llm', /llm\.prefill/) &&
        seen('llm', /llm\.decode/)
      )
        break;
      assert.ok(
        Date.now() < deadline,
        `spans of trace ${traceId}: ${JSON.stringify(Object.fromEntries(names))}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
});
