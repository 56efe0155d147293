import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { createRng } from '@internvl/generation';
import { decoderForward } from './decoder-forward';
import { embedTokens, mergeImageEmbeds } from './embeddings';
import { argmax, greedyGenerate } from './generate';
import { randomWeightSource, uniformArray } from './random-weights';
import { tokenIds } from './testing/spec-helpers';
import { tinyInternVLConfig } from './tiny-config';

const VOCAB = 300;
const IMG = 7;

test('argmax returns the first maximum', () => {
  assert.equal(argmax(new Float32Array([1, 3, 3, 2])), 1);
  assert.equal(argmax(new Float32Array([0, 5, 1, 9]), 1, 2), 0);
});

for (const arch of ['Phi3ForCausalLM', 'InternLM2ForCausalLM'] as const) {
  test(`${arch}: greedy tokens equal step-by-step argmax of the full forward, image rows merged once`, () => {
    const cfg = tinyInternVLConfig(arch, { llm: { vocabSize: VOCAB } });
    const w = randomWeightSource(cfg, 12);
    const prompt = [1, ...tokenIds(3, 10, VOCAB), IMG, IMG, IMG, ...tokenIds(4, 10, VOCAB, 3)];
    const image = uniformArray(createRng(4), 3 * 64, -1, 1);
    const got = greedyGenerate(cfg, w, prompt, image, IMG, 6, []);
    assert.equal(got.length, 6);

    const ids = [...prompt];
    let embeds = mergeImageEmbeds(embedTokens(cfg, w, prompt), prompt, IMG, image);
    for (let step = 0; step < 6; step++) {
      const logits = decoderForward(cfg, w, embeds, ids.length);
      const next = argmax(logits, (ids.length - 1) * VOCAB, VOCAB);
      assert.equal(got[step], next, `step ${step}`);
      ids.push(next);
      const grown = new Float32Array(embeds.length + 64);
      grown.set(embeds);
      grown.set(embedTokens(cfg, w, [next]), embeds.length);
      embeds = grown;
    }
  });
}

test('stops after the first EOS id and includes it', () => {
  const cfg = tinyInternVLConfig('Phi3ForCausalLM', { llm: { vocabSize: VOCAB } });
  const w = randomWeightSource(cfg, 12);
  const prompt = tokenIds(5, 10, VOCAB);
  const free = greedyGenerate(cfg, w, prompt, undefined, IMG, 4, []);
  assert.deepEqual(greedyGenerate(cfg, w, prompt, undefined, IMG, 4, [free[1]]), free.slice(0, 2));
  assert.deepEqual(greedyGenerate(cfg, w, prompt, undefined, IMG, 0, []), []);
});
