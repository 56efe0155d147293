import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { answerStats, statEntries } from './answer-stats';

test('TTFT, decode tokens/s after the first token, and the usage counts', () => {
  const stats = answerStats(
    { sentAt: 1000, firstTokenAt: 1250, endedAt: 2250 },
    {
      prompt_tokens: 2100,
      completion_tokens: 41,
      prompt_tokens_details: { cached_tokens: 1808, image_tokens: 1792 },
    },
  );
  assert.deepEqual(stats, {
    ttftMs: 250,
    tokensPerSecond: 40,
    promptTokens: 2100,
    completionTokens: 41,
    cachedTokens: 1808,
    imageTokens: 1792,
  });
  assert.deepEqual(
    statEntries(stats).map((e) => `${e.key}=${e.value}`),
    [
      'ttft_ms=250 ms',
      'tokens_per_second=40.0',
      'prompt_tokens=2100',
      'image_tokens=1792',
      'cached_tokens=1808',
      'completion_tokens=41',
    ],
  );
});

test('a stopped answer (no usage) shows only its TTFT; no token at all shows nothing', () => {
  assert.deepEqual(answerStats({ sentAt: 0, firstTokenAt: 90, endedAt: 500 }), { ttftMs: 90 });
  assert.deepEqual(statEntries(answerStats({ sentAt: 0, endedAt: 500 })), []);
});
