import { strict as assert } from 'node:assert';
import { status } from '@grpc/grpc-js';
import { before, describe, test } from 'node:test';
import {
  assistant,
  conversationHeader,
  expectError,
  generate,
  randomImage,
  referenceTokens,
  serve,
  serveTinyModel,
  user,
  type SentImage,
  type Served,
} from './testing/llm-fixtures';

// The prefix cache: a later request whose prompt starts like an earlier one's takes those KV
// blocks instead of computing them. Reuse must be exact (same greedy tokens as from scratch), must
// never match another image at the same positions, and must stay exact when blocks are evicted.

describe('prefix cache', () => {
  const { model, served } = serveTinyModel('phi3', { seed: 31 });
  let image: SentImage;
  let other: SentImage;
  before(() => {
    image = randomImage(served, 41);
    other = randomImage(served, 42);
  });

  const reference = (ids: number[], rows: Float32Array | undefined, maxNewTokens: number) =>
    referenceTokens(model.checkpoint, served.runtime.model.manifest, ids, rows, maxNewTokens);
  const ask = (s: Served, turns: ReturnType<typeof user>[], img: SentImage, maxNewTokens = 8) =>
    generate(s.client, conversationHeader(turns, [img], { maxNewTokens }, { returnPrompt: true }), [img]);

  test('round 2 of an image chat takes round 1 from the cache and answers as computed from scratch', async () => {
    const q1 = user('<image>\nWhat is this?');
    const round1 = await ask(served, [q1], image);
    const before = served.runtime.model.engine.kv;
    const round2 = await ask(served, [q1, assistant(round1.text), user('And the colours?')], image);
    const promptTokens = round1.prompt!.inputIds.length;
    const cached = round2.finish!.usage!.cachedTokens;
    assert.ok(
      cached >= promptTokens - 16 && cached < round2.prompt!.inputIds.length,
      `${cached} cached of ${promptTokens}`,
    );
    assert.deepEqual(round2.tokenIds, reference(round2.prompt!.inputIds, image.rows, 8));
    const after = served.runtime.model.engine.kv;
    assert.equal(
      after.prefixHitTokens - before.prefixHitTokens,
      cached,
      'the hit counter counts the cached tokens',
    );
    assert.equal(after.prefixQueriedTokens - before.prefixQueriedTokens, round2.prompt!.inputIds.length);

    // The same round 2 on a server without the prefix cache computes everything, to the same answer.
    const cold = await serve(model.dir, ['--no-prefix-caching']);
    try {
      const fresh = await ask(cold, [q1, assistant(round1.text), user('And the colours?')], image);
      assert.equal(fresh.finish!.usage!.cachedTokens, 0);
      assert.deepEqual(fresh.tokenIds, round2.tokenIds);
    } finally {
      await cold.stop();
    }
  });

  test('the same text with another image reuses nothing from the image on', async () => {
    const turns = [user('<image>\nDescribe the scene in a few words.')];
    await ask(served, turns, image);
    const got = await ask(served, turns, other);
    const ids = got.prompt!.inputIds;
    const firstImageRow = ids.indexOf(served.runtime.model.manifest.tokens.imageContext);
    assert.ok(
      got.finish!.usage!.cachedTokens <= firstImageRow,
      `${got.finish!.usage!.cachedTokens} cached, image at ${firstImageRow}`,
    );
    assert.deepEqual(got.tokenIds, reference(ids, other.rows, 8));
  });

  test('under a budget of about one sequence, requests queue, blocks are evicted, and every answer stays exact', async () => {
    const bytesPerPosition = served.runtime.model.engine.kvBytesPerPosition;
    const budget = 448 * bytesPerPosition;
    const tight = await serve(model.dir, ['--kv-cache-bytes', String(budget), '--max-active-sequences', '4']);
    try {
      const images = [0, 1, 2].map((i) => randomImage(tight, 50 + i));
      const turns = (i: number) => [user(`<image>\nQuestion ${i}: what is shown?`)];
      const first = await Promise.all(images.map((img, i) => ask(tight, turns(i), img)));
      const again = await Promise.all(images.map((img, i) => ask(tight, turns(i), img)));
      first.forEach((got, i) => {
        const expected = reference(got.prompt!.inputIds, images[i]!.rows, 8);
        assert.deepEqual(got.tokenIds, expected, `request ${i}`);
        assert.deepEqual(again[i]!.tokenIds, expected, `request ${i} again`);
      });
      const kv = tight.runtime.model.engine.kv;
      assert.ok(kv.heldBytes <= budget, `${kv.heldBytes} bytes held, budget ${budget}`);
      // Three ~290-token prompts cannot all stay cached in 448 positions: some blocks were evicted.
      assert.ok(kv.prefixBytes < 3 * 256 * bytesPerPosition, `${kv.prefixBytes} bytes of prefix blocks`);
      assert.equal(
        tight.runtime.scheduler.stats.largestBatch,
        1,
        'the budget let one sequence run at a time',
      );

      await expectError(
        generate(tight.client, conversationHeader([user('Hi')], [], { maxNewTokens: 1000 })),
        status.INVALID_ARGUMENT,
        /KV cache would need .*--kv-cache-bytes/,
      );
    } finally {
      await tight.stop();
    }
  });
});
