import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import {
  assistant,
  buildTinyModel,
  conversationHeader,
  generate,
  seeded,
  serve,
  user,
  type Collected,
  type SentImage,
  waitFor,
  type Served,
} from './testing/llm-fixtures';

// Churn: many requests of different shapes join and leave a small batch while others are
// cancelled mid-stream or run out of time. Nothing may be lost, mixed up or leaked.

let served: Served;
before(async () => {
  served = await serve((await buildTinyModel('internlm2', 4)).dir, [
    '--max-active-sequences',
    '4',
    '--prefill-chunk-tokens',
    '96',
  ]);
});
after(() => served.stop());

test('40 requests through a 4-slot batch with cancels and deadlines: every answer is its solo answer, nothing leaks', async () => {
  const hidden = served.runtime.model.hiddenSize;
  const requests = Array.from({ length: 40 }, (_, i) => {
    const images: SentImage[] = i % 5 === 0 ? [{ tiles: 1, rows: seeded(256 * hidden, 100 + i, 0.5) }] : [];
    const turns =
      i % 3 === 0
        ? [user(`Earlier question ${i}`), assistant(`Earlier answer ${'x'.repeat(i % 7)}`), user(`Now ${i}?`)]
        : [user(`Request ${i}: ${'more words '.repeat(i % 9)}`)];
    return { header: conversationHeader(turns, images, { maxNewTokens: 4 + (i % 13) }), images };
  });
  const solo: Collected[] = [];
  for (const r of requests) solo.push(await generate(served.client, r.header, r.images));

  const outcomes = await Promise.allSettled(
    requests.map((r, i) => {
      if (i % 4 === 1) {
        const controller = new AbortController();
        return generate(served.client, r.header, r.images, {
          signal: controller.signal,
          onDelta: (n) => n === 2 && controller.abort(),
        });
      }
      if (i % 8 === 3)
        return generate(served.client, r.header, r.images, { deadline: new Date(Date.now() + 30) });
      return generate(served.client, r.header, r.images);
    }),
  );
  outcomes.forEach((outcome, i) => {
    if (i % 4 === 1 || i % 8 === 3) {
      // Cancelled after two deltas or out of time, unless the answer was complete before that.
      if (outcome.status === 'fulfilled')
        assert.deepEqual(outcome.value.tokenIds, solo[i]!.tokenIds, `request ${i}`);
      else assert.match(String(outcome.reason), i % 4 === 1 ? /abort/i : /DEADLINE_EXCEEDED/, `request ${i}`);
      return;
    }
    assert.equal(
      outcome.status,
      'fulfilled',
      `request ${i}: ${outcome.status === 'rejected' ? outcome.reason : ''}`,
    );
    const got = (outcome as PromiseFulfilledResult<Collected>).value;
    assert.deepEqual(got.tokenIds, solo[i]!.tokenIds, `request ${i}`);
    assert.equal(got.text, solo[i]!.text, `request ${i}`);
    assert.deepEqual(got.finish?.usage, solo[i]!.finish?.usage, `request ${i}`);
  });
  const { scheduler, model } = served.runtime;
  await waitFor('every slot and cache freed', () => scheduler.activeCount + scheduler.queuedCount === 0);
  await waitFor('the KV cache emptied', () => model.engine.cachedBytes === 0);
  assert.ok(scheduler.stats.largestBatch === 4, `largest batch ${scheduler.stats.largestBatch}`);
});
