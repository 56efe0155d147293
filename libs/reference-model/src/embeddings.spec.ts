import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { embedTokens, mergeImageEmbeds } from './embeddings';
import { randomWeightSource } from './random-weights';
import { tinyInternVLConfig } from './tiny-config';

test('embedTokens copies table rows (tok_embeddings for InternLM2)', () => {
  const cfg = tinyInternVLConfig('InternLM2ForCausalLM', { llm: { vocabSize: 100 } });
  const w = randomWeightSource(cfg, 1);
  const table = w.read('language_model.model.tok_embeddings.weight', [100, 64]);
  const e = embedTokens(cfg, w, [5, 99, 5]);
  assert.deepEqual(e.subarray(0, 64), table.subarray(5 * 64, 6 * 64));
  assert.deepEqual(e.subarray(64, 128), table.subarray(99 * 64, 100 * 64));
  assert.deepEqual(e.subarray(128), e.subarray(0, 64));
  assert.throws(() => embedTokens(cfg, w, [100]), /outside the vocabulary/);
});

test('mergeImageEmbeds replaces IMG_CONTEXT rows in order and leaves the input untouched', () => {
  const D = 2;
  const ids = [1, 9, 2, 9, 9, 3];
  const embeds = Float32Array.from({ length: ids.length * D }, (_, i) => i);
  const image = new Float32Array([100, 101, 200, 201, 300, 301]);
  const out = mergeImageEmbeds(embeds, ids, 9, image);
  assert.deepEqual([...out], [0, 1, 100, 101, 4, 5, 200, 201, 300, 301, 10, 11]);
  assert.equal(embeds[2], 2);
});

test('mergeImageEmbeds count mismatch names both counts', () => {
  const ids = [1, 9, 9, 9, 2];
  assert.throws(
    () => mergeImageEmbeds(new Float32Array(ids.length * 4), ids, 9, new Float32Array(2 * 4)),
    /3 IMG_CONTEXT tokens \(id 9\) but 2 image embedding rows/,
  );
});
