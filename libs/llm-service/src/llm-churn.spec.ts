import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  assistant,
  conversationHeader,
  generate,
  randomImage,
  serveTinyModel,
  user,
  type Collected,
  waitFor,
} from './testing/llm-fixtures';

// Churn: many requests of different shapes join and leave a small batch while others are
// cancelled mid-stream or run out of time. Nothing may be lost, mixed up or leaked.

const { served } = serveTinyModel('internlm2', {
  seed: 4,
  args: ['--max-active-sequences', '4', '--prefill-chunk-tokens', '96'],
});

test('40 requests through a 4-slot batch with cancels and deadlines: every answer is its solo answer, nothing leaks', async () => {
  const requests = Array.from({ length: 40 }, (_, i) => {
    const images = i % 5 === 0 ? [randomImage(served, 100 + i)] : [];
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
    // The solo run put the prompt in the prefix cache: this run computes less but counts the same.
    const { cachedTokens, ...usage } = got.finish!.usage!;
    const { cachedTokens: soloCached, ...soloUsage } = solo[i]!.finish!.usage!;
    assert.deepEqual(usage, soloUsage, `request ${i}`);
    assert.ok(cachedTokens >= soloCached, `request ${i}: ${cachedTokens} cached tokens`);
    if (usage.promptTokens > 16)
      assert.ok(cachedTokens > 0, `request ${i} found nothing in the prefix cache`);
  });
  const { scheduler, model } = served.runtime;
  await waitFor('every slot and cache freed', () => scheduler.activeCount + scheduler.queuedCount === 0);
  // No sequence keeps a row; what stays is the prefix cache, within the budget and all of it blocks.
  await waitFor(
    'the KV arena emptied',
    () => model.engine.kv.sequences === 0 && model.engine.kv.arenaBytes === 0,
  );
  const kv = model.engine.kv;
  assert.equal(kv.heldBytes, kv.prefixBytes);
  assert.ok(kv.prefixBlocks > 0 && kv.prefixBytes % kv.prefixBlocks === 0);
  assert.ok(kv.heldBytes <= model.engine.kvBudgetBytes);
  assert.ok(scheduler.stats.largestBatch === 4, `largest batch ${scheduler.stats.largestBatch}`);
});
