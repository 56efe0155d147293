// config.json fixtures for specs: the real models' fields and widths (rope factor values made up).

/** Mini-InternVL-Chat-4B-V1-5's config.json (InternViT-300M + Phi-3-mini-128k), trimmed of unused keys. */
export function mini4bConfigJson(): Record<string, unknown> {
  return {
    architectures: ['InternVLChatModel'],
    downsample_ratio: 0.5,
    dynamic_image_size: true,
    force_image_size: 448,
    max_dynamic_patch: 12,
    min_dynamic_patch: 1,
    model_type: 'internvl_chat',
    ps_version: 'v2',
    select_layer: -1,
    template: 'phi3-chat',
    use_thumbnail: true,
    vision_config: {
      architectures: ['InternVisionModel'],
      hidden_act: 'gelu',
      hidden_size: 1024,
      image_size: 448,
      intermediate_size: 4096,
      layer_norm_eps: 1e-6,
      norm_type: 'layer_norm',
      num_attention_heads: 16,
      num_channels: 3,
      num_hidden_layers: 24,
      patch_size: 14,
      qk_normalization: false,
      qkv_bias: true,
    },
    llm_config: {
      architectures: ['Phi3ForCausalLM'],
      bos_token_id: 1,
      eos_token_id: 32000,
      hidden_act: 'silu',
      hidden_size: 3072,
      intermediate_size: 8192,
      max_position_embeddings: 131072,
      num_attention_heads: 32,
      num_hidden_layers: 32,
      num_key_value_heads: 32,
      original_max_position_embeddings: 4096,
      pad_token_id: 32000,
      rms_norm_eps: 1e-5,
      rope_scaling: {
        long_factor: Array.from({ length: 48 }, (_, k) => 1.0299999713897705 + k * k * 0.03),
        short_factor: Array.from({ length: 48 }, (_, k) => 1 + k * 0.001),
        type: 'su',
      },
      rope_theta: 10000.0,
      sliding_window: 262144,
      tie_word_embeddings: false,
      vocab_size: 32020,
    },
  };
}

/** Mini-InternVL-Chat-2B-V1-5's config.json (InternViT-300M + InternLM2-1.8B), trimmed. */
export function mini2bConfigJson(): Record<string, unknown> {
  const base = mini4bConfigJson();
  return {
    ...base,
    template: 'internlm2-chat',
    llm_config: {
      architectures: ['InternLM2ForCausalLM'],
      bias: false,
      bos_token_id: 1,
      eos_token_id: 2,
      hidden_act: 'silu',
      hidden_size: 2048,
      intermediate_size: 8192,
      max_position_embeddings: 32768,
      num_attention_heads: 16,
      num_hidden_layers: 24,
      num_key_value_heads: 8,
      pad_token_id: 2,
      rms_norm_eps: 1e-5,
      rope_scaling: { factor: 2.0, type: 'dynamic' },
      rope_theta: 1000000,
      tie_word_embeddings: false,
      vocab_size: 92553,
    },
  };
}

/** InternViT-6B-448px-V1-5's vision_config (the 26B model's tower). */
export function vit6bVisionConfig(): Record<string, unknown> {
  return {
    architectures: ['InternVisionModel'],
    hidden_act: 'gelu',
    hidden_size: 3200,
    image_size: 448,
    intermediate_size: 12800,
    layer_norm_eps: 1e-6,
    norm_type: 'rms_norm',
    num_attention_heads: 25,
    num_hidden_layers: 45,
    patch_size: 14,
    qk_normalization: true,
    qkv_bias: false,
  };
}

/** A deep copy with `path` (dot-separated) set to `value`, or deleted when value is undefined. */
export function withField(
  json: Record<string, unknown>,
  path: string,
  value: unknown,
): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(json)) as Record<string, unknown>;
  const keys = path.split('.');
  let obj = copy;
  for (const k of keys.slice(0, -1)) obj = obj[k] as Record<string, unknown>;
  const last = keys[keys.length - 1];
  if (value === undefined) delete obj[last];
  else obj[last] = value;
  return copy;
}
