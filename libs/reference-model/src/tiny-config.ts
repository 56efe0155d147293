import type { InternVLConfig, LlmArchitecture, LlmConfig, VisionConfig } from '@internvl/model-config';

/** Field overrides for {@link tinyInternVLConfig}; vision and llm are merged shallowly. */
export type TinyConfigOverrides = Partial<Omit<InternVLConfig, 'vision' | 'llm'>> & {
  vision?: Partial<VisionConfig>;
  llm?: Partial<LlmConfig>;
};

/** Made-up LongRoPE factors shaped like Phi-3's (short ≈ 1, long growing with k). */
function longRopeFactors(half: number): { short: number[]; long: number[] } {
  const short = Array.from({ length: half }, (_, k) => 1 + (0.25 * k) / half);
  const long = Array.from({ length: half }, (_, k) => 1 + (40 * k * k) / (half * half));
  return { short, long };
}

/**
 * A tiny InternVL config for tests: InternViT with hidden 64, 2 layers, 4 heads at 448 px
 * (1025 tokens per tile, 256 image tokens) and a 2-layer, hidden-64 LLM with the real
 * vocabulary size (Phi-3: 32020, 4 heads, LongRoPE "su"; InternLM2: 92553, 4 heads / 2 KV
 * heads, dynamic NTK factor 2).
 */
export function tinyInternVLConfig(
  architecture: LlmArchitecture = 'Phi3ForCausalLM',
  overrides: TinyConfigOverrides = {},
): InternVLConfig {
  const vision: VisionConfig = {
    hiddenSize: 64,
    numLayers: 2,
    numHeads: 4,
    intermediateSize: 128,
    patchSize: 14,
    imageSize: 448,
    normType: 'layer_norm',
    layerNormEps: 1e-6,
    qkvBias: true,
    qkNormalization: false,
    hiddenAct: 'gelu',
    ...overrides.vision,
  };
  const headDim = 16;
  const { short, long } = longRopeFactors(headDim / 2);
  const llm: LlmConfig =
    architecture === 'Phi3ForCausalLM'
      ? {
          architecture,
          hiddenSize: 64,
          numLayers: 2,
          numHeads: 4,
          numKvHeads: 4,
          headDim,
          intermediateSize: 128,
          vocabSize: 32020,
          ropeTheta: 10000,
          maxPositionEmbeddings: 131072,
          originalMaxPositionEmbeddings: 4096,
          ropeScaling: { type: 'su', shortFactor: short, longFactor: long },
          rmsNormEps: 1e-5,
          bosTokenId: 1,
          eosTokenIds: [32000],
          padTokenId: 32000,
          tieWordEmbeddings: false,
          slidingWindow: 262144,
          ...overrides.llm,
        }
      : {
          architecture,
          hiddenSize: 64,
          numLayers: 2,
          numHeads: 4,
          numKvHeads: 2,
          headDim,
          intermediateSize: 128,
          vocabSize: 92553,
          ropeTheta: 1000000,
          maxPositionEmbeddings: 32768,
          originalMaxPositionEmbeddings: 32768,
          ropeScaling: { type: 'dynamic', factor: 2 },
          rmsNormEps: 1e-5,
          bosTokenId: 1,
          eosTokenIds: [2],
          padTokenId: 2,
          tieWordEmbeddings: false,
          slidingWindow: undefined,
          ...overrides.llm,
        };
  const { vision: _v, llm: _l, ...top } = overrides;
  const imageSize = top.imageSize ?? vision.imageSize;
  const downsampleRatio = top.downsampleRatio ?? 0.5;
  return {
    architecture: 'InternVLChatModel',
    template: architecture === 'Phi3ForCausalLM' ? 'phi3-chat' : 'internlm2-chat',
    selectLayer: -1,
    psVersion: 'v2',
    dynamicImageSize: true,
    useThumbnail: true,
    minDynamicPatch: 1,
    maxDynamicPatch: 12,
    systemMessage: undefined,
    numImageTokens: Math.round((imageSize / vision.patchSize) ** 2 * downsampleRatio ** 2),
    ...top,
    imageSize,
    downsampleRatio,
    vision,
    llm,
  };
}
