import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { f16ToF32, f32ToF16 } from '@internvl/float-formats';
import {
  assistant,
  conversationHeader,
  FinishReason,
  generate,
  randomImage,
  referenceTokens,
  seeded,
  serve,
  serveTinyModel,
  user,
} from './testing/llm-fixtures';

for (const llm of ['phi3', 'internlm2'] as const) {
  describe(`${llm}: generation through the llm tier`, () => {
    const { model, served } = serveTinyModel(llm, { seed: 11, args: ['--max-active-sequences', '8'] });

    test('greedy tokens with an image equal the in-process reference forward, token for token', async () => {
      const image = randomImage(served, 5);
      const got = await generate(
        served.client,
        conversationHeader(
          [user('What is in the picture?')],
          [image],
          { maxNewTokens: 10 },
          { returnPrompt: true },
        ),
        [image],
      );
      const m = served.runtime.model.manifest;
      const reference = referenceTokens(model.checkpoint, m, got.prompt!.inputIds, image.rows, 10);
      assert.deepEqual(got.tokenIds, reference);
      const stopped = m.tokens.stop.includes(reference[reference.length - 1]!);
      assert.equal(
        got.finish?.reason,
        stopped ? FinishReason.FINISH_REASON_STOP : FinishReason.FINISH_REASON_LENGTH,
      );
      assert.deepEqual(got.finish?.usage, {
        promptTokens: got.prompt!.inputIds.length,
        imageTokens: 256,
        completionTokens: reference.length,
        cachedTokens: 0,
      });
      assert.ok(got.finish!.timings!.timeToFirstTokenMs > 0);
    });

    test('a prompt prefilled in 7-token chunks gives the same greedy tokens as the reference', async () => {
      const chunked = await serve(model.dir, ['--prefill-chunk-tokens', '7']);
      try {
        const image = randomImage(chunked, 8);
        const got = await generate(
          chunked.client,
          conversationHeader([user('Describe it.')], [image], { maxNewTokens: 8 }, { returnPrompt: true }),
          [image],
        );
        assert.deepEqual(
          got.tokenIds,
          referenceTokens(
            model.checkpoint,
            served.runtime.model.manifest,
            got.prompt!.inputIds,
            image.rows,
            8,
          ),
        );
      } finally {
        await chunked.stop();
      }
    });

    test('fp16 embeddings on the wire answer as fp32 embeddings holding the same rounded values', async () => {
      const hidden = served.runtime.model.hiddenSize;
      const rounded = f16ToF32(f32ToF16(seeded(256 * hidden, 6, 0.5)));
      const header = (fp16: boolean) =>
        conversationHeader([user('Hi')], [{ tiles: 1, rows: rounded, fp16 }], { maxNewTokens: 6 });
      const half = await generate(served.client, header(true), [{ tiles: 1, rows: rounded, fp16: true }]);
      const full = await generate(served.client, header(false), [{ tiles: 1, rows: rounded }]);
      assert.deepEqual(half.tokenIds, full.tokenIds);
      assert.ok(half.tokenIds.length > 0);
    });

    test('8 concurrent greedy requests (ragged lengths, images or not) each return exactly their solo answer', async () => {
      const requests = Array.from({ length: 8 }, (_, i) => {
        const images = i % 3 === 0 ? [randomImage(served, 20 + i, 1 + (i % 2))] : [];
        const turns =
          i % 4 === 1
            ? [user('Tell me a story.'), assistant('Once upon a time.'), user(`Go on, part ${i}.`)]
            : [user(`Question number ${i}: ${'why '.repeat(i * 3)}?`)];
        return { header: conversationHeader(turns, images, { maxNewTokens: 12 + i }), images };
      });
      const solo: Awaited<ReturnType<typeof generate>>[] = [];
      for (const r of requests) solo.push(await generate(served.client, r.header, r.images));
      const before = served.runtime.scheduler.stats.largestBatch;
      const together = await Promise.all(requests.map((r) => generate(served.client, r.header, r.images)));
      together.forEach((got, i) => {
        assert.deepEqual(got.tokenIds, solo[i]!.tokenIds, `request ${i}`);
        assert.equal(got.text, solo[i]!.text, `request ${i}`);
      });
      assert.equal(before, 1, 'solo runs decode alone');
      assert.ok(served.runtime.scheduler.stats.largestBatch > 1, 'concurrent runs shared decode steps');
    });

    test('sampling with a seed is reproducible; another seed gives another answer', async () => {
      const header = (seed: number) =>
        conversationHeader([user('Say something.')], [], {
          maxNewTokens: 16,
          temperature: 1.5,
          topP: 0.95,
          topK: 50,
          seed,
        });
      const a = await generate(served.client, header(1));
      const b = await generate(served.client, header(1));
      const c = await generate(served.client, header(2));
      assert.deepEqual(a.tokenIds, b.tokenIds);
      assert.notDeepEqual(a.tokenIds, c.tokenIds);
    });
  });
}
