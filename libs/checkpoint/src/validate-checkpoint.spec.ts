import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectedWeights, type WeightSpec } from '@internvl/model-config';
import { CheckpointMismatchError } from './checkpoint-errors';
import type { TensorIndex } from './checkpoint-reader';
import { elementCount } from './dtype';
import { parseInternVLConfig } from './parse-config';
import { mini2bConfigJson, mini4bConfigJson, vit6bVisionConfig } from './testing/spec-configs';
import { checkCheckpoint, validateCheckpoint } from './validate-checkpoint';

function shapeOf(specs: WeightSpec[], name: string): number[] | undefined {
  return specs.find((s) => s.name === name)?.shape;
}

/** A header-only checkpoint stand-in built from weight specs. */
function fakeIndex(specs: WeightSpec[]): TensorIndex {
  const map = new Map(specs.map((s) => [s.name, s.shape]));
  return {
    names: () => [...map.keys()],
    has: (n) => map.has(n),
    shape: (n) => map.get(n) as number[],
    dtype: () => 'BF16',
  };
}

describe('expectedWeights', () => {
  it('lists the 4B model with Phi-3 fused projections and ~4.15B parameters (8.3 GB bf16)', () => {
    const specs = expectedWeights(parseInternVLConfig(mini4bConfigJson()));
    assert.deepEqual(shapeOf(specs, 'vision_model.embeddings.position_embedding'), [1, 1025, 1024]);
    assert.deepEqual(shapeOf(specs, 'vision_model.embeddings.patch_embedding.weight'), [1024, 3, 14, 14]);
    assert.deepEqual(shapeOf(specs, 'vision_model.encoder.layers.23.attn.qkv.bias'), [3072]);
    assert.deepEqual(shapeOf(specs, 'vision_model.encoder.layers.0.norm1.bias'), [1024]);
    assert.deepEqual(shapeOf(specs, 'mlp1.0.weight'), [4096]);
    assert.deepEqual(shapeOf(specs, 'mlp1.1.weight'), [3072, 4096]);
    assert.deepEqual(shapeOf(specs, 'mlp1.3.weight'), [3072, 3072]);
    assert.deepEqual(shapeOf(specs, 'language_model.model.embed_tokens.weight'), [32020, 3072]);
    assert.deepEqual(
      shapeOf(specs, 'language_model.model.layers.31.self_attn.qkv_proj.weight'),
      [9216, 3072],
    );
    assert.deepEqual(shapeOf(specs, 'language_model.model.layers.0.mlp.gate_up_proj.weight'), [16384, 3072]);
    assert.deepEqual(shapeOf(specs, 'language_model.model.layers.0.mlp.down_proj.weight'), [3072, 8192]);
    assert.deepEqual(shapeOf(specs, 'language_model.lm_head.weight'), [32020, 3072]);
    assert.equal(shapeOf(specs, 'vision_model.encoder.layers.0.attn.q_norm.weight'), undefined);
    assert.equal(
      specs.some((s) => s.name.includes('bias') && s.name.startsWith('language_model')),
      false,
    );
    const params = specs.reduce((a, s) => a + elementCount(s.shape), 0);
    assert.ok(Math.abs(params - 4.15e9) < 0.03e9, `${params} parameters`);
    assert.equal(new Set(specs.map((s) => s.name)).size, specs.length);
  });

  it('lists the 2B model with InternLM2 KV-grouped wqkv and ~2.2B parameters', () => {
    const specs = expectedWeights(parseInternVLConfig(mini2bConfigJson()));
    assert.deepEqual(shapeOf(specs, 'language_model.model.tok_embeddings.weight'), [92553, 2048]);
    assert.deepEqual(shapeOf(specs, 'language_model.model.layers.0.attention.wqkv.weight'), [4096, 2048]);
    assert.deepEqual(shapeOf(specs, 'language_model.model.layers.23.attention.wo.weight'), [2048, 2048]);
    assert.deepEqual(shapeOf(specs, 'language_model.model.layers.0.feed_forward.w1.weight'), [8192, 2048]);
    assert.deepEqual(shapeOf(specs, 'language_model.model.layers.0.feed_forward.w2.weight'), [2048, 8192]);
    assert.deepEqual(shapeOf(specs, 'language_model.output.weight'), [92553, 2048]);
    assert.deepEqual(shapeOf(specs, 'mlp1.1.weight'), [2048, 4096]);
    const params = specs.reduce((a, s) => a + elementCount(s.shape), 0);
    assert.ok(Math.abs(params - 2.2e9) < 0.02e9, `${params} parameters`);
  });

  it('honours rms_norm (no norm bias), qk_normalization and no qkv bias for the 6B tower', () => {
    const specs = expectedWeights(
      parseInternVLConfig({ ...mini4bConfigJson(), vision_config: vit6bVisionConfig() }),
    );
    assert.deepEqual(shapeOf(specs, 'vision_model.encoder.layers.44.attn.q_norm.weight'), [3200]);
    assert.deepEqual(shapeOf(specs, 'vision_model.encoder.layers.0.attn.k_norm.weight'), [3200]);
    assert.equal(shapeOf(specs, 'vision_model.encoder.layers.0.attn.qkv.bias'), undefined);
    assert.equal(shapeOf(specs, 'vision_model.encoder.layers.0.norm1.bias'), undefined);
    assert.deepEqual(shapeOf(specs, 'mlp1.0.weight'), [12800]);
  });
});

describe('validateCheckpoint', () => {
  const config = parseInternVLConfig(mini4bConfigJson());
  const specs = expectedWeights(config);

  it('passes a complete checkpoint and reports unused extras', () => {
    const check = validateCheckpoint(fakeIndex([...specs, { name: 'extra.inv_freq', shape: [48] }]), config);
    assert.deepEqual(check, { problems: [], unexpected: ['extra.inv_freq'] });
  });

  it('lists every missing tensor and wrong shape, the first ones spelled out', () => {
    const broken = specs
      .filter((s) => !s.name.startsWith('language_model.model.layers.31.'))
      .map((s) => (s.name === 'mlp1.1.weight' ? { name: s.name, shape: [2048, 4096] } : s));
    assert.equal(checkCheckpoint(fakeIndex(broken), config).problems.length, 7);
    assert.throws(
      () => validateCheckpoint(fakeIndex(broken), config),
      (e) =>
        e instanceof CheckpointMismatchError &&
        e.problems.length === 7 &&
        e.problems[0].kind === 'shape' &&
        e.message.includes('tensor mlp1.1.weight has shape [2048,4096], expected [3072,4096]') &&
        e.message.includes(
          'missing language_model.model.layers.31.self_attn.qkv_proj.weight (similar: language_model.model.layers.3',
        ),
    );
  });

  it('flags integer dtypes', () => {
    const index = {
      ...fakeIndex(specs),
      dtype: (n: string) => (n === 'mlp1.0.bias' ? 'I32' : 'BF16'),
    } as TensorIndex;
    const check = checkCheckpoint(index, config);
    assert.deepEqual(
      check.problems.map((p) => [p.kind, p.tensor]),
      [['dtype', 'mlp1.0.bias']],
    );
  });
});
