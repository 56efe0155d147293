import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '@internvl/errors';
import { ConfigError, UnsupportedArchitectureError } from './checkpoint-errors';
import { parseInternVLConfig } from './parse-config';
import { mini2bConfigJson, mini4bConfigJson, vit6bVisionConfig, withField } from './testing/spec-configs';

function throwsConfig(
  json: unknown,
  message: RegExp,
  type: new (...a: never[]) => Error = ConfigError,
): void {
  assert.throws(
    () => parseInternVLConfig(json),
    (e) => e instanceof type && e instanceof InvalidArgumentError && message.test(e.message),
  );
}

describe('parseInternVLConfig', () => {
  it('reads Mini-InternVL-Chat-4B-V1-5 (Phi-3, LongRoPE "su")', () => {
    const c = parseInternVLConfig(mini4bConfigJson());
    assert.equal(c.architecture, 'InternVLChatModel');
    assert.equal(c.template, 'phi3-chat');
    assert.equal(c.psVersion, 'v2');
    assert.equal(c.numImageTokens, 256);
    assert.equal(c.imageSize, 448);
    assert.equal(c.selectLayer, -1);
    assert.equal(c.maxDynamicPatch, 12);
    assert.equal(c.systemMessage, undefined);
    assert.deepEqual(c.vision, {
      hiddenSize: 1024,
      numLayers: 24,
      numHeads: 16,
      intermediateSize: 4096,
      patchSize: 14,
      imageSize: 448,
      normType: 'layer_norm',
      layerNormEps: 1e-6,
      qkvBias: true,
      qkNormalization: false,
      hiddenAct: 'gelu',
    });
    const l = c.llm;
    assert.equal(l.architecture, 'Phi3ForCausalLM');
    assert.deepEqual(
      [l.hiddenSize, l.numHeads, l.numKvHeads, l.headDim, l.vocabSize],
      [3072, 32, 32, 96, 32020],
    );
    assert.deepEqual(
      [l.originalMaxPositionEmbeddings, l.maxPositionEmbeddings, l.ropeTheta],
      [4096, 131072, 10000],
    );
    assert.deepEqual(l.eosTokenIds, [32000]);
    assert.equal(l.padTokenId, 32000);
    assert.equal(l.slidingWindow, 262144);
    assert.equal(l.ropeScaling.type, 'su');
    if (l.ropeScaling.type === 'su') {
      assert.equal(l.ropeScaling.shortFactor.length, 48);
      assert.equal(l.ropeScaling.longFactor[0], 1.0299999713897705);
    }
  });

  it('reads Mini-InternVL-Chat-2B-V1-5 (InternLM2, GQA, dynamic NTK)', () => {
    const l = parseInternVLConfig(mini2bConfigJson()).llm;
    assert.deepEqual(
      [l.architecture, l.hiddenSize, l.numHeads, l.numKvHeads, l.headDim],
      ['InternLM2ForCausalLM', 2048, 16, 8, 128],
    );
    assert.deepEqual(l.ropeScaling, { type: 'dynamic', factor: 2 });
    assert.deepEqual(
      [l.ropeTheta, l.maxPositionEmbeddings, l.originalMaxPositionEmbeddings],
      [1000000, 32768, 32768],
    );
    assert.deepEqual(l.eosTokenIds, [2]);
  });

  it('applies InternVL defaults for missing keys', () => {
    let json = mini4bConfigJson();
    for (const key of [
      'ps_version',
      'max_dynamic_patch',
      'min_dynamic_patch',
      'force_image_size',
      'select_layer',
      'use_thumbnail',
      'dynamic_image_size',
      'downsample_ratio',
    ]) {
      json = withField(json, key, undefined);
    }
    json = withField(json, 'vision_config.image_size', 448);
    const c = parseInternVLConfig(json);
    assert.equal(c.psVersion, 'v1');
    assert.equal(c.maxDynamicPatch, 6);
    assert.equal(c.minDynamicPatch, 1);
    assert.equal(c.imageSize, 448, 'force_image_size falls back to vision_config.image_size');
    assert.equal(c.selectLayer, -4);
    assert.equal(c.useThumbnail, false);
    assert.equal(c.dynamicImageSize, false);
    assert.equal(c.downsampleRatio, 0.5);
    assert.equal(parseInternVLConfig(withField(mini4bConfigJson(), 'force_image_size', null)).imageSize, 448);
  });

  it('accepts the later Phi-3 spellings: rope_type "longrope", eos list, system_message', () => {
    let json = withField(mini4bConfigJson(), 'llm_config.rope_scaling.type', undefined);
    json = withField(json, 'llm_config.rope_scaling.rope_type', 'longrope');
    json = withField(json, 'llm_config.eos_token_id', [32000, 32007]);
    json = withField(json, 'system_message', 'Be brief.');
    json = withField(json, 'llm_config.pad_token_id', null);
    const c = parseInternVLConfig(json);
    assert.equal(c.llm.ropeScaling.type, 'longrope');
    assert.deepEqual(c.llm.eosTokenIds, [32000, 32007]);
    assert.equal(c.systemMessage, 'Be brief.');
    assert.equal(c.llm.padTokenId, undefined, 'explicit null means no pad token');
    assert.deepEqual(
      parseInternVLConfig(withField(mini2bConfigJson(), 'llm_config.rope_scaling', null)).llm.ropeScaling,
      { type: 'none' },
    );
  });

  it('reads the 6B tower: rms_norm, qk_normalization, no qkv bias, 25 heads of 128', () => {
    const v = parseInternVLConfig({ ...mini4bConfigJson(), vision_config: vit6bVisionConfig() }).vision;
    assert.deepEqual(
      [v.normType, v.qkNormalization, v.qkvBias, v.numLayers, v.hiddenSize / v.numHeads],
      ['rms_norm', true, false, 45, 128],
    );
  });

  it('names unsupported architectures and lists the supported ones', () => {
    throwsConfig(
      withField(mini4bConfigJson(), 'llm_config.architectures', ['Qwen2ForCausalLM']),
      /'Qwen2ForCausalLM'; supported: Phi3ForCausalLM, InternLM2ForCausalLM/,
      UnsupportedArchitectureError,
    );
    throwsConfig(
      withField(mini4bConfigJson(), 'vision_config.architectures', ['CLIPVisionModel']),
      /must be InternVisionModel/,
      UnsupportedArchitectureError,
    );
    throwsConfig(
      withField(mini4bConfigJson(), 'architectures', ['Phi3ForCausalLM']),
      /supported: InternVLChatModel/,
      UnsupportedArchitectureError,
    );
  });

  it('names the key path of a missing or mistyped field', () => {
    throwsConfig(
      withField(mini4bConfigJson(), 'llm_config.hidden_size', undefined),
      /missing llm_config\.hidden_size/,
    );
    throwsConfig(
      withField(mini4bConfigJson(), 'vision_config.num_attention_heads', undefined),
      /missing vision_config\.num_attention_heads/,
    );
    throwsConfig(withField(mini4bConfigJson(), 'llm_config', undefined), /missing llm_config$/);
    throwsConfig(withField(mini4bConfigJson(), 'template', undefined), /missing template/);
    throwsConfig(
      withField(mini4bConfigJson(), 'llm_config.vocab_size', '32020'),
      /llm_config\.vocab_size must be a number, got "32020"/,
    );
    throwsConfig(withField(mini4bConfigJson(), 'ps_version', 'v3'), /ps_version is 'v3'; supported: v1, v2/);
    throwsConfig([], /must hold a JSON object/);
  });

  it('rejects inconsistent values', () => {
    throwsConfig(
      withField(mini4bConfigJson(), 'llm_config.num_attention_heads', 30),
      /hidden_size 3072 is not divisible by llm_config\.num_attention_heads 30/,
    );
    throwsConfig(
      withField(mini2bConfigJson(), 'llm_config.num_key_value_heads', 5),
      /not a multiple of llm_config\.num_key_value_heads 5/,
    );
    throwsConfig(
      withField(mini4bConfigJson(), 'llm_config.rope_scaling.short_factor', [1, 1, 1]),
      /short_factor has 3 values; it needs head_dim\/2 = 48/,
    );
    throwsConfig(
      withField(mini4bConfigJson(), 'llm_config.rope_scaling.type', 'yarn'),
      /'yarn' is not supported/,
    );
    throwsConfig(
      withField(mini4bConfigJson(), 'force_image_size', 450),
      /not a multiple of vision_config\.patch_size 14/,
    );
    throwsConfig(
      withField(mini4bConfigJson(), 'max_dynamic_patch', 0),
      /max_dynamic_patch must be an integer ≥ 1/,
    );
    throwsConfig(withField(mini2bConfigJson(), 'llm_config.bias', true), /llm_config\.bias is true/);
    throwsConfig(withField(mini4bConfigJson(), 'llm_config.hidden_act', 'gelu'), /hidden_act is 'gelu'/);
  });
});
