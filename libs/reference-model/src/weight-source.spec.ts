import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { expectedWeights } from '@internvl/model-config';
import { randomWeightSource } from './random-weights';
import { tinyInternVLConfig } from './tiny-config';
import { cachedWeights, MapWeightSource } from './weight-source';

test('read checks presence and shape, naming the tensor', () => {
  const w = new MapWeightSource().set('a.weight', [2, 3], new Float32Array(6));
  assert.equal(w.read('a.weight', [2, 3]).length, 6);
  assert.throws(() => w.read('a.weight', [3, 2]), /a\.weight has shape \[2, 3\], expected \[3, 2\]/);
  assert.throws(() => w.read('b.weight', [1]), /b\.weight not found/);
  assert.throws(() => w.set('c', [2, 2], new Float32Array(3)), /3 values for shape \[2, 2\]/);
});

test('cachedWeights reads each tensor once', () => {
  let reads = 0;
  const inner = new MapWeightSource().set('x', [1], new Float32Array([1]));
  const cached = cachedWeights({ read: (n, s) => (reads++, inner.read(n, s)) });
  cached.read('x', [1]);
  cached.read('x', [1]);
  assert.equal(reads, 1);
});

test('random weights are deterministic per seed and cover the spec names (4B-style names)', () => {
  const cfg = tinyInternVLConfig('Phi3ForCausalLM', { llm: { vocabSize: 50 } });
  const a = randomWeightSource(cfg, 9);
  const b = randomWeightSource(cfg, 9);
  const names = expectedWeights(cfg).map((s) => s.name);
  for (const n of [
    'vision_model.encoder.layers.0.attn.qkv.weight',
    'vision_model.encoder.layers.1.ls2',
    'mlp1.3.bias',
    'language_model.model.layers.1.self_attn.qkv_proj.weight',
    'language_model.model.layers.0.mlp.gate_up_proj.weight',
    'language_model.lm_head.weight',
  ]) {
    assert.ok(names.includes(n), n);
  }
  for (const s of expectedWeights(cfg)) assert.deepEqual(a.read(s.name, s.shape), b.read(s.name, s.shape));
});
