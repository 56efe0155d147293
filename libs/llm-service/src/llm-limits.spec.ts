import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { scriptedModel } from './testing/scripted-model';
import {
  conversationHeader,
  expectError,
  generate,
  seeded,
  serveTinyModel,
  user,
  waitFor,
} from './testing/llm-fixtures';

describe('llm tier: limits, cancellation and bad requests', () => {
  // Token 100 is an ordinary token: every sequence runs until max_new_tokens unless stopped.
  const { served } = serveTinyModel('phi3', {
    args: ['--max-active-sequences', '2', '--max-queue', '1', '--max-new-tokens-limit', '100000'],
    hooks: { wrapModel: (real) => scriptedModel(real, [], 100) },
  });
  const long = () => conversationHeader([user('Go on forever.')], [], { maxNewTokens: 3000 });

  test('a cancelled stream leaves the batch at the next step and frees its KV cache', async () => {
    const { scheduler, model } = served.runtime;
    const controller = new AbortController();
    const call = generate(served.client, long(), [], {
      signal: controller.signal,
      onDelta: (n) => n === 5 && controller.abort(),
    });
    await assert.rejects(call, /abort/i);
    await waitFor('the slot to be freed', () => scheduler.activeCount === 0);
    await waitFor(
      'the KV cache to be freed',
      () => model.engine.kv.sequences === 0 && model.engine.kv.arenaBytes === 0,
    );
  });

  test('a passed deadline answers DEADLINE_EXCEEDED and frees the slot', async () => {
    await expectError(
      generate(served.client, long(), [], { deadline: new Date(Date.now() + 300) }),
      status.DEADLINE_EXCEEDED,
      /deadline/i,
    );
    await waitFor('the slot to be freed', () => served.runtime.scheduler.activeCount === 0);
  });

  test('a full queue refuses with RESOURCE_EXHAUSTED naming the limit; the others are unaffected', async () => {
    const { scheduler } = served.runtime;
    const controller = new AbortController();
    const running: Promise<unknown>[] = [];
    const start = () => running.push(generate(served.client, long(), [], { signal: controller.signal }));
    start();
    await waitFor('1 active', () => scheduler.activeCount === 1);
    start();
    await waitFor('2 active', () => scheduler.activeCount === 2);
    start();
    await waitFor('1 queued', () => scheduler.queuedCount === 1);
    await expectError(
      generate(served.client, long()),
      status.RESOURCE_EXHAUSTED,
      /queue is full.*limit 1.*--max-queue/,
    );
    assert.equal(scheduler.activeCount, 2, 'the running sequences go on');
    controller.abort();
    for (const call of running) await assert.rejects(call, /abort/i);
    await waitFor('everything freed', () => scheduler.activeCount + scheduler.queuedCount === 0);
  });

  test('image rows that do not match the <IMG_CONTEXT> tokens: INVALID_ARGUMENT with both counts', async () => {
    const hidden = served.runtime.model.hiddenSize;
    const m = served.runtime.model.manifest.tokens;
    const ids = [m.bos, m.imageStart, ...new Array<number>(256).fill(m.imageContext), m.imageEnd, 13];
    const rows = seeded(2 * 256 * hidden, 1);
    const header = conversationHeader([], [{ tiles: 2, rows }], { maxNewTokens: 2 });
    header.prompt = { $case: 'tokenIds', value: { ids } };
    await expectError(
      generate(served.client, header, [{ tiles: 2, rows }]),
      status.INVALID_ARGUMENT,
      /256 <IMG_CONTEXT> tokens but the images have 512 embedding rows/,
    );
  });

  test('a placeholder without an image, or an image of the wrong width: INVALID_ARGUMENT', async () => {
    await expectError(
      generate(served.client, conversationHeader([user('<image> what?')])),
      status.INVALID_ARGUMENT,
      /1 <image> placeholder\(s\) but 0 image\(s\)/,
    );
    const rows = seeded(256 * 8, 1);
    await expectError(
      generate(served.client, conversationHeader([user('hi')], [{ tiles: 1, rows }]), [{ tiles: 1, rows }]),
      status.INVALID_ARGUMENT,
      /images\[0\]\.embeddings\.shape is \[256, 8\]/,
    );
  });

  test('context: a prompt plus max_new_tokens over the context is OUT_OF_RANGE with the numbers', async () => {
    const max = served.runtime.model.maxContextTokens;
    const header = conversationHeader([user('Hi')], [], { maxNewTokens: max });
    await expectError(
      generate(served.client, header),
      status.OUT_OF_RANGE,
      new RegExp(
        `prompt tokens \\+ max_new_tokens ${max} = \\d+ exceeds the model's context of ${max} tokens; ask for at most \\d+`,
      ),
    );
    const tooLong = conversationHeader([], [], { maxNewTokens: 1 });
    tooLong.prompt = { $case: 'tokenIds', value: { ids: new Array<number>(max).fill(100) } };
    await expectError(
      generate(served.client, tooLong),
      status.OUT_OF_RANGE,
      new RegExp(`the prompt is ${max} tokens .* context is ${max} tokens`),
    );
  });

  test('bad sampling parameters are refused before any work, naming the field', async () => {
    await expectError(
      generate(served.client, conversationHeader([user('Hi')], [], { temperature: -1 })),
      status.INVALID_ARGUMENT,
      /temperature/,
    );
    await expectError(
      generate(served.client, conversationHeader([user('Hi')], [], { topP: 1.5 })),
      status.INVALID_ARGUMENT,
      /topP must be in \(0, 1\]/,
    );
    await expectError(
      generate(served.client, conversationHeader([user('Hi')], [], { stopTokenIds: [10_000_000] })),
      status.INVALID_ARGUMENT,
      /stop_token_ids holds 10000000/,
    );
  });
});
