import type { TinyDims, TinyLlm } from './tiny-presets';

/** Rounds to 4 decimals so config.json shows short, stable numbers. */
function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/**
 * Made-up LongRoPE factors shaped like Phi-3's: one per rotary frequency (head_dim / 2), short
 * ones from 1.0 to 1.05, long ones from 1.03 to 1.1 (growing with frequency index).
 */
export function tinyLongRopeFactors(headDim: number): { short: number[]; long: number[] } {
  const half = headDim / 2;
  const t = (k: number) => (half === 1 ? 0 : k / (half - 1));
  return {
    short: Array.from({ length: half }, (_, k) => round4(1 + 0.05 * t(k))),
    long: Array.from({ length: half }, (_, k) => round4(1.03 + 0.07 * t(k) * t(k))),
  };
}

function visionConfig(dims: TinyDims, layers: number): Record<string, unknown> {
  return {
    architectures: ['InternVisionModel'],
    attention_dropout: 0.0,
    drop_path_rate: 0.0,
    dropout: 0.0,
    hidden_act: 'gelu',
    hidden_size: dims.vision.hidden,
    image_size: 448,
    initializer_factor: 1.0,
    initializer_range: 0.02,
    intermediate_size: dims.vision.intermediate,
    layer_norm_eps: 1e-6,
    model_type: 'intern_vit_6b',
    norm_type: 'layer_norm',
    num_attention_heads: dims.vision.heads,
    num_channels: 3,
    num_hidden_layers: layers,
    patch_size: 14,
    qk_normalization: false,
    qkv_bias: true,
    torch_dtype: 'bfloat16',
    use_flash_attn: true,
  };
}

function phi3Config(dims: TinyDims, layers: number): Record<string, unknown> {
  const { short, long } = tinyLongRopeFactors(dims.llm.hidden / dims.llm.heads);
  return {
    architectures: ['Phi3ForCausalLM'],
    attention_dropout: 0.0,
    auto_map: {
      AutoConfig: 'configuration_phi3.Phi3Config',
      AutoModelForCausalLM: 'modeling_phi3.Phi3ForCausalLM',
    },
    bos_token_id: 1,
    embd_pdrop: 0.0,
    eos_token_id: 32000,
    hidden_act: 'silu',
    hidden_size: dims.llm.hidden,
    initializer_range: 0.02,
    intermediate_size: dims.llm.intermediate,
    max_position_embeddings: 131072,
    model_type: 'phi3',
    num_attention_heads: dims.llm.heads,
    num_hidden_layers: layers,
    num_key_value_heads: dims.llm.kvHeads,
    original_max_position_embeddings: 4096,
    pad_token_id: 32000,
    resid_pdrop: 0.0,
    rms_norm_eps: 1e-5,
    rope_scaling: { long_factor: long, short_factor: short, type: 'su' },
    rope_theta: 10000.0,
    sliding_window: 262144,
    tie_word_embeddings: false,
    torch_dtype: 'bfloat16',
    use_cache: true,
    vocab_size: dims.llm.vocab,
  };
}

function internlm2Config(dims: TinyDims, layers: number): Record<string, unknown> {
  return {
    architectures: ['InternLM2ForCausalLM'],
    attn_implementation: 'eager',
    auto_map: {
      AutoConfig: 'configuration_internlm2.InternLM2Config',
      AutoModel: 'modeling_internlm2.InternLM2ForCausalLM',
      AutoModelForCausalLM: 'modeling_internlm2.InternLM2ForCausalLM',
    },
    bias: false,
    bos_token_id: 1,
    eos_token_id: 2,
    hidden_act: 'silu',
    hidden_size: dims.llm.hidden,
    initializer_range: 0.02,
    intermediate_size: dims.llm.intermediate,
    max_position_embeddings: 32768,
    model_type: 'internlm2',
    num_attention_heads: dims.llm.heads,
    num_hidden_layers: layers,
    num_key_value_heads: dims.llm.kvHeads,
    pad_token_id: 2,
    rms_norm_eps: 1e-5,
    rope_scaling: { factor: 2.0, type: 'dynamic' },
    rope_theta: 1000000,
    tie_word_embeddings: false,
    torch_dtype: 'bfloat16',
    use_cache: true,
    vocab_size: dims.llm.vocab,
  };
}

/**
 * config.json of a synthetic checkpoint with the fields (and values, widths aside) of
 * Mini-InternVL-Chat-4B-V1-5 (phi3) or Mini-InternVL-Chat-2B-V1-5 (internlm2).
 */
export function tinyConfigJson(llm: TinyLlm, dims: TinyDims, layers: number): Record<string, unknown> {
  return {
    architectures: ['InternVLChatModel'],
    auto_map: {
      AutoConfig: 'configuration_internvl_chat.InternVLChatConfig',
      AutoModel: 'modeling_internvl_chat.InternVLChatModel',
      AutoModelForCausalLM: 'modeling_internvl_chat.InternVLChatModel',
    },
    downsample_ratio: 0.5,
    dynamic_image_size: true,
    force_image_size: 448,
    llm_config: llm === 'phi3' ? phi3Config(dims, layers) : internlm2Config(dims, layers),
    max_dynamic_patch: 12,
    min_dynamic_patch: 1,
    model_type: 'internvl_chat',
    pad2square: false,
    ps_version: 'v2',
    select_layer: -1,
    template: llm === 'phi3' ? 'phi3-chat' : 'internlm2-chat',
    torch_dtype: 'bfloat16',
    transformers_version: null,
    use_backbone_lora: 0,
    use_llm_lora: 0,
    use_thumbnail: true,
    vision_config: visionConfig(dims, layers),
  };
}
