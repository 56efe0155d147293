/**
 * Every model fact the converter, the reference forward and the services need, read from a
 * checkpoint's config.json (never hard-coded). Field comments give the HF config key.
 */

/** InternViT vision tower (`vision_config`). */
export interface VisionConfig {
  /** hidden_size (C): 1024 for InternViT-300M, 3200 for 6B. */
  hiddenSize: number;
  /** num_hidden_layers. */
  numLayers: number;
  /** num_attention_heads; head_dim = hiddenSize / numHeads. */
  numHeads: number;
  /** intermediate_size of the MLP. */
  intermediateSize: number;
  /** patch_size (14). */
  patchSize: number;
  /** image_size (448). */
  imageSize: number;
  /** norm_type: 'layer_norm' (300M) or 'rms_norm' (6B). */
  normType: 'layer_norm' | 'rms_norm';
  /** layer_norm_eps (1e-6). */
  layerNormEps: number;
  /** qkv_bias. */
  qkvBias: boolean;
  /** qk_normalization (6B only): RMSNorm over full C of q and k before splitting heads. */
  qkNormalization: boolean;
  /** hidden_act ('gelu' = exact erf GELU). */
  hiddenAct: string;
}

export type RopeScaling =
  | { type: 'none' }
  /** Phi-3 LongRoPE ("su" in the April 2024 config, "longrope" later): per-dimension factors. */
  | {
      type: 'su' | 'longrope';
      shortFactor: number[];
      longFactor: number[];
      shortMscale?: number;
      longMscale?: number;
    }
  /** InternLM2 dynamic NTK scaling, only active above maxPositionEmbeddings. */
  | { type: 'dynamic'; factor: number }
  /** Linear position interpolation. */
  | { type: 'linear'; factor: number };

export type LlmArchitecture = 'Phi3ForCausalLM' | 'InternLM2ForCausalLM';

/** The language model (`llm_config`). */
export interface LlmConfig {
  /** architectures[0]. */
  architecture: LlmArchitecture;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  /** num_key_value_heads (= numHeads for Phi-3-mini: no GQA). */
  numKvHeads: number;
  /** hidden_size / num_attention_heads. */
  headDim: number;
  intermediateSize: number;
  vocabSize: number;
  /** rope_theta: 10000 (Phi-3), 1e6 (InternLM2). */
  ropeTheta: number;
  maxPositionEmbeddings: number;
  /** original_max_position_embeddings (Phi-3 LongRoPE switch point, 4096); absent = maxPositionEmbeddings. */
  originalMaxPositionEmbeddings: number;
  ropeScaling: RopeScaling;
  rmsNormEps: number;
  bosTokenId: number;
  /** eos_token_id, normalized to a list. */
  eosTokenIds: number[];
  padTokenId: number | undefined;
  tieWordEmbeddings: boolean;
  /** sliding_window (Phi-3) if set. */
  slidingWindow: number | undefined;
}

/** Top-level InternVLChatModel config. */
export interface InternVLConfig {
  /** architectures[0] of the top level: 'InternVLChatModel'. */
  architecture: string;
  /** template: 'phi3-chat' | 'internlm2-chat' | ... */
  template: string;
  /** select_layer (-1 = last hidden state). */
  selectLayer: number;
  /** downsample_ratio (0.5). */
  downsampleRatio: number;
  /** force_image_size, else vision imageSize. */
  imageSize: number;
  /** ps_version: 'v1' (default when missing) or 'v2'. */
  psVersion: 'v1' | 'v2';
  dynamicImageSize: boolean;
  useThumbnail: boolean;
  minDynamicPatch: number;
  /** max_dynamic_patch (default 6 when missing). */
  maxDynamicPatch: number;
  /** (imageSize / patchSize)^2 * downsampleRatio^2 = 256. */
  numImageTokens: number;
  /** system_message if the config states one (InternVL2-era), else undefined: use the template's. */
  systemMessage: string | undefined;
  vision: VisionConfig;
  llm: LlmConfig;
}

/** Derived dims of the projector mlp1: LayerNorm(4C) → Linear(4C→D) → GELU → Linear(D→D). */
export function projectorInputSize(config: InternVLConfig): number {
  const r = Math.round(1 / config.downsampleRatio);
  return config.vision.hiddenSize * r * r;
}
