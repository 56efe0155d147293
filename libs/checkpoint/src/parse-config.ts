import type { InternVLConfig, LlmArchitecture, LlmConfig, VisionConfig } from '@internvl/model-config';
import { ConfigError, UnsupportedArchitectureError } from './checkpoint-errors';
import { ConfigFields, isJsonObject } from './config-fields';
import { parseRopeScaling } from './rope-scaling';

/** Top-level architectures this parser accepts. */
export const SUPPORTED_TOP_ARCHITECTURES = ['InternVLChatModel'] as const;
/** LLM architectures this stack implements. */
export const SUPPORTED_LLM_ARCHITECTURES: readonly LlmArchitecture[] = [
  'Phi3ForCausalLM',
  'InternLM2ForCausalLM',
];
/** The only vision tower InternVL 1.5 uses. */
export const VISION_ARCHITECTURE = 'InternVisionModel';

/**
 * HF config-class defaults per LLM (Phi3Config, InternLM2Config), used only when the key is
 * missing, as transformers would.
 */
const LLM_DEFAULTS: Record<LlmArchitecture, { maxPos: number; eps: number; eos: number; pad: number }> = {
  Phi3ForCausalLM: { maxPos: 4096, eps: 1e-5, eos: 32000, pad: 32000 },
  InternLM2ForCausalLM: { maxPos: 2048, eps: 1e-6, eos: 2, pad: 0 },
};

function parseVision(f: ConfigFields): VisionConfig {
  const arch = f.architecture();
  if (arch !== undefined && arch !== VISION_ARCHITECTURE) {
    throw new UnsupportedArchitectureError(
      `config.json: ${f.key('architectures')} is '${arch}'; the vision tower must be ${VISION_ARCHITECTURE}`,
    );
  }
  const hiddenSize = f.int('hidden_size');
  const numHeads = f.int('num_attention_heads');
  if (hiddenSize % numHeads !== 0) {
    throw new ConfigError(
      `config.json: ${f.key('hidden_size')} ${hiddenSize} is not divisible by ${f.key('num_attention_heads')} ${numHeads}`,
    );
  }
  if (f.int('num_channels', 3) !== 3)
    throw new ConfigError(`config.json: ${f.key('num_channels')} must be 3 (RGB)`);
  // Defaults are InternVisionConfig's (the 6B tower's), as transformers would apply them.
  return {
    hiddenSize,
    numLayers: f.int('num_hidden_layers'),
    numHeads,
    intermediateSize: f.int('intermediate_size'),
    patchSize: f.int('patch_size', 14),
    imageSize: f.int('image_size', 224),
    normType: f.oneOf('norm_type', ['layer_norm', 'rms_norm'] as const, 'rms_norm'),
    layerNormEps: f.number('layer_norm_eps', 1e-6),
    qkvBias: f.bool('qkv_bias', false),
    qkNormalization: f.bool('qk_normalization', true),
    hiddenAct: f.string('hidden_act', 'gelu'),
  };
}

function parseEos(f: ConfigFields, fallback: number): number[] {
  const v = f.raw('eos_token_id');
  if (v === undefined) return [fallback];
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0 || !list.every((x) => Number.isInteger(x) && (x as number) >= 0)) {
    throw new ConfigError(`config.json: ${f.key('eos_token_id')} must be a token id or a list of ids`);
  }
  return list as number[];
}

function parseLlm(f: ConfigFields): LlmConfig {
  const arch = f.architecture();
  if (arch === undefined) throw new ConfigError(`config.json is missing ${f.key('architectures')}`);
  if (!(SUPPORTED_LLM_ARCHITECTURES as readonly string[]).includes(arch)) {
    throw new UnsupportedArchitectureError(
      `config.json: ${f.key('architectures')} is '${arch}'; supported: ${SUPPORTED_LLM_ARCHITECTURES.join(', ')}`,
    );
  }
  const architecture = arch as LlmArchitecture;
  const d = LLM_DEFAULTS[architecture];
  const hiddenSize = f.int('hidden_size');
  const numHeads = f.int('num_attention_heads');
  const numKvHeads = f.int('num_key_value_heads', numHeads);
  if (hiddenSize % numHeads !== 0) {
    throw new ConfigError(
      `config.json: ${f.key('hidden_size')} ${hiddenSize} is not divisible by ${f.key('num_attention_heads')} ${numHeads}`,
    );
  }
  if (numHeads % numKvHeads !== 0) {
    throw new ConfigError(
      `config.json: ${f.key('num_attention_heads')} ${numHeads} is not a multiple of ${f.key('num_key_value_heads')} ${numKvHeads}`,
    );
  }
  const headDim = hiddenSize / numHeads;
  if (f.has('head_dim') && f.int('head_dim') !== headDim) {
    throw new ConfigError(
      `config.json: ${f.key('head_dim')} ${f.int('head_dim')} differs from hidden_size/num_attention_heads = ${headDim}`,
    );
  }
  const act = f.string('hidden_act', 'silu');
  if (act !== 'silu')
    throw new ConfigError(`config.json: ${f.key('hidden_act')} is '${act}'; ${architecture} uses 'silu'`);
  if (architecture === 'InternLM2ForCausalLM' && f.bool('bias', false)) {
    throw new ConfigError(
      `config.json: ${f.key('bias')} is true; InternLM2 with linear biases is not supported`,
    );
  }
  const maxPositionEmbeddings = f.int('max_position_embeddings', d.maxPos);
  const pad = f.raw('pad_token_id');
  const sliding = f.raw('sliding_window');
  return {
    architecture,
    hiddenSize,
    numLayers: f.int('num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    intermediateSize: f.int('intermediate_size'),
    vocabSize: f.int('vocab_size'),
    ropeTheta: f.number('rope_theta', 10000),
    maxPositionEmbeddings,
    originalMaxPositionEmbeddings: f.int('original_max_position_embeddings', maxPositionEmbeddings),
    ropeScaling: parseRopeScaling(f, headDim),
    rmsNormEps: f.number('rms_norm_eps', d.eps),
    bosTokenId: f.int('bos_token_id', 1, 0),
    eosTokenIds: parseEos(f, d.eos),
    // An explicit null means "no pad token"; only a missing key takes the class default.
    padTokenId: !f.hasKey('pad_token_id')
      ? d.pad
      : pad === undefined
        ? undefined
        : f.int('pad_token_id', undefined, 0),
    tieWordEmbeddings: f.bool('tie_word_embeddings', false),
    slidingWindow: sliding === undefined ? undefined : f.int('sliding_window'),
  };
}

/**
 * Reads a checkpoint's config.json (the top-level InternVLChatModel config with `vision_config`
 * and `llm_config`) into an {@link InternVLConfig}. Missing optional keys take the defaults of
 * InternVL's and the HF model's config classes (ps_version 'v1', max_dynamic_patch 6,
 * select_layer -4, image size = force_image_size or vision image_size, ...). Unknown
 * architectures, missing required keys (named by path, e.g. `llm_config.hidden_size`) and
 * contradictory values throw {@link ConfigError}.
 */
export function parseInternVLConfig(json: unknown): InternVLConfig {
  if (!isJsonObject(json)) throw new ConfigError('config.json must hold a JSON object');
  const top = new ConfigFields(json, '');
  const arch = top.architecture() ?? 'InternVLChatModel';
  if (!(SUPPORTED_TOP_ARCHITECTURES as readonly string[]).includes(arch)) {
    throw new UnsupportedArchitectureError(
      `config.json: architectures is '${arch}'; supported: ${SUPPORTED_TOP_ARCHITECTURES.join(', ')} ` +
        '(an InternVL chat checkpoint folder, not the bare LLM or vision tower)',
    );
  }
  const vision = parseVision(top.object('vision_config'));
  const llm = parseLlm(top.object('llm_config'));
  const downsampleRatio = top.number('downsample_ratio', 0.5);
  const imageSize = top.int('force_image_size', vision.imageSize);
  const grid = imageSize / vision.patchSize;
  const scale = 1 / downsampleRatio;
  if (!Number.isInteger(grid)) {
    throw new ConfigError(
      `config.json: image size ${imageSize} is not a multiple of vision_config.patch_size ${vision.patchSize}`,
    );
  }
  if (!Number.isInteger(scale) || grid % scale !== 0) {
    throw new ConfigError(
      `config.json: downsample_ratio ${downsampleRatio} does not divide the ${grid}×${grid} patch grid into whole tokens`,
    );
  }
  const minDynamicPatch = top.int('min_dynamic_patch', 1);
  const maxDynamicPatch = top.int('max_dynamic_patch', 6);
  if (maxDynamicPatch < minDynamicPatch) {
    throw new ConfigError(
      `config.json: max_dynamic_patch ${maxDynamicPatch} is below min_dynamic_patch ${minDynamicPatch}`,
    );
  }
  return {
    architecture: arch,
    template: top.string('template'),
    selectLayer: top.int('select_layer', -4, -Infinity),
    downsampleRatio,
    imageSize,
    psVersion: top.oneOf('ps_version', ['v1', 'v2'] as const, 'v1'),
    dynamicImageSize: top.bool('dynamic_image_size', false),
    useThumbnail: top.bool('use_thumbnail', false),
    minDynamicPatch,
    maxDynamicPatch,
    numImageTokens: (grid / scale) * (grid / scale),
    systemMessage: top.has('system_message') ? top.string('system_message') : undefined,
    vision,
    llm,
  };
}
