import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { LlmConfig } from '@internvl/model-config';
import { decoderForward, decoderHiddenStates } from './decoder-forward';
import { embedTokens } from './embeddings';
import { linear } from './linear';
import { randomWeightSource } from './random-weights';
import { assertClose, maxAbsDiff, tokenIds } from './testing/spec-helpers';
import { tinyInternVLConfig } from './tiny-config';

const VOCAB = 300;
const config = (llm: Partial<LlmConfig> = {}) =>
  tinyInternVLConfig('Phi3ForCausalLM', { llm: { vocabSize: VOCAB, ...llm } });

function logits(cfg = config(), ids: number[], seed = 11, positionIds?: number[]) {
  const w = randomWeightSource(cfg, seed);
  return decoderForward(cfg, w, embedTokens(cfg, w, ids), ids.length, positionIds);
}

test('causal: changing token 7 leaves logits of positions 0..6 bit-identical and changes 7', () => {
  const ids = tokenIds(12, 3, VOCAB);
  const changed = [...ids];
  changed[7] = (ids[7] + 1) % VOCAB;
  const a = logits(config(), ids);
  const b = logits(config(), changed);
  assert.deepEqual(a.subarray(0, 7 * VOCAB), b.subarray(0, 7 * VOCAB));
  for (let t = 7; t < 12; t++) {
    assert.ok(
      maxAbsDiff(a.subarray(t * VOCAB, (t + 1) * VOCAB), b.subarray(t * VOCAB, (t + 1) * VOCAB)) > 1e-4,
      `row ${t}`,
    );
  }
});

test('su: crossing original_max_position_embeddings re-rotates the whole sequence with long factors', () => {
  const ids = tokenIds(9, 3, VOCAB);
  const switching = config({ originalMaxPositionEmbeddings: 8, maxPositionEmbeddings: 64 });
  const eight = logits(switching, ids.slice(0, 8));
  const nine = logits(switching, ids);
  // Short factors for T=8, long for T=9: the first 8 rows must differ although the model is causal.
  assert.ok(maxAbsDiff(eight, nine.subarray(0, 8 * VOCAB)) > 1e-3);
  // Without a switch (both short) causality makes them identical.
  const steady = config({ originalMaxPositionEmbeddings: 16, maxPositionEmbeddings: 128 });
  assert.deepEqual(logits(steady, ids.slice(0, 8)), logits(steady, ids).subarray(0, 8 * VOCAB));
  // The switch follows position ids: 8 tokens ending at position 8 use the long factors.
  const shifted = logits(switching, ids.slice(0, 8), 11, [0, 1, 2, 3, 4, 5, 6, 8]);
  assert.ok(maxAbsDiff(shifted.subarray(0, 7 * VOCAB), eight.subarray(0, 7 * VOCAB)) > 1e-3);
});

test('default position ids are 0..T−1', () => {
  const ids = tokenIds(6, 3, VOCAB);
  assert.deepEqual(logits(config(), ids), logits(config(), ids, 11, [0, 1, 2, 3, 4, 5]));
});

test('tied embeddings: logits = final hidden · embed_tokensᵀ and lm_head is never read', () => {
  const cfg = config({ tieWordEmbeddings: true });
  const w = randomWeightSource(cfg, 5);
  assert.equal(w.has('language_model.lm_head.weight'), false);
  const ids = tokenIds(4, 3, VOCAB);
  const e = embedTokens(cfg, w, ids);
  const hidden = decoderHiddenStates(cfg, w, e, 4);
  const table = w.read('language_model.model.embed_tokens.weight', [VOCAB, 64]);
  assertClose(decoderForward(cfg, w, e, 4), linear(hidden, 4, 64, table, VOCAB), 0, 0, 'tied logits');
});

test('real Phi-3 vocabulary (32020): finite logits of the right shape', () => {
  const cfg = tinyInternVLConfig('Phi3ForCausalLM');
  const out = logits(cfg, tokenIds(5, 3, 32020));
  assert.equal(out.length, 5 * 32020);
  assert.ok(out.every(Number.isFinite));
});

test('input validation names the problem', () => {
  const cfg = config();
  const w = randomWeightSource(cfg, 1);
  assert.throws(() => decoderForward(cfg, w, new Float32Array(64 * 3), 2), /inputs_embeds has 192 values/);
  assert.throws(() => decoderForward(cfg, w, new Float32Array(64 * 2), 2, [0]), /position_ids/);
  const windowed = config({ slidingWindow: 4 });
  assert.throws(() => decoderForward(windowed, w, new Float32Array(64 * 5), 5), /sliding_window/);
});
