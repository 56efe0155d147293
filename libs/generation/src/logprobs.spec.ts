import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { positionLogprobs } from './logprobs';

const f32 = (values: number[]) => Float32Array.from(values);

/** log-softmax in float64, written out plainly. */
const logSoftmax = (values: number[]) => {
  const z = Math.log(values.reduce((s, v) => s + Math.exp(v), 0));
  return values.map((v) => v - z);
};

test('the chosen token’s logprob is the log-softmax of the logits, rounded to float32', () => {
  const values = [1.5, -0.25, 3, 0, 2.75];
  const expected = logSoftmax(values);
  for (let id = 0; id < values.length; id++) {
    const got = positionLogprobs(f32(values), id, 0);
    assert.equal(got.tokenId, id);
    assert.equal(got.logprob, Math.fround(expected[id]!));
    assert.deepEqual(got.top, []);
  }
});

test('large logits do not overflow: the log-sum-exp is shifted by the maximum', () => {
  const got = positionLogprobs(f32([1000, 1000]), 1, 2);
  assert.equal(got.logprob, Math.fround(-Math.log(2)));
  const small = positionLogprobs(f32([-1000, 0]), 0, 0);
  assert.equal(small.logprob, -1000);
});

test('top alternatives: most likely first, ties by lower id, the chosen token among them when it is likely', () => {
  const logits = f32([0, 2, 5, 2, -1, 5, 3]);
  const got = positionLogprobs(logits, 6, 5);
  assert.deepEqual(
    got.top.map((t) => t.tokenId),
    [2, 5, 6, 1, 3],
  );
  const expected = logSoftmax([...logits]);
  for (const t of got.top) assert.equal(t.logprob, Math.fround(expected[t.tokenId]!));
  assert.equal(got.top[2]!.logprob, got.logprob);
  for (let i = 1; i < got.top.length; i++) assert.ok(got.top[i - 1]!.logprob >= got.top[i]!.logprob);
});

test('asking for more alternatives than the vocabulary has returns the whole vocabulary, sorted', () => {
  const got = positionLogprobs(f32([1, -Infinity, 3]), 0, 20);
  assert.deepEqual(
    got.top.map((t) => [t.tokenId, t.logprob]),
    [
      [2, Math.fround(logSoftmax([1, 3])[1]!)],
      [0, Math.fround(logSoftmax([1, 3])[0]!)],
      [1, -Infinity],
    ],
  );
});

test('the logits are not modified, and bad arguments are refused', () => {
  const logits = f32([1, 2, 3]);
  positionLogprobs(logits, 1, 3);
  assert.deepEqual([...logits], [1, 2, 3]);
  assert.throws(() => positionLogprobs(logits, 1, 21), /topLogprobs must be an integer in \[0, 20\]/);
  assert.throws(() => positionLogprobs(logits, 1, -1), /topLogprobs/);
  assert.throws(() => positionLogprobs(logits, 3, 0), /token id 3 is outside/);
  assert.throws(() => positionLogprobs(f32([-Infinity]), 0, 0), /no finite maximum/);
});

test('a random vocabulary: top-k equals a full sort', () => {
  let s = 7;
  const values = Array.from({ length: 500 }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.round((s / 2 ** 32) * 40) / 4; // many ties
  });
  const logits = f32(values);
  const sorted = [...values.keys()].sort((a, b) => logits[b]! - logits[a]! || a - b);
  assert.deepEqual(
    positionLogprobs(logits, 0, 20).top.map((t) => t.tokenId),
    sorted.slice(0, 20),
  );
});
