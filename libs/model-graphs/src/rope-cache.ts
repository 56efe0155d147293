import type { LlmConfig } from '@internvl/model-config';
import { InvalidArgumentError } from '@internvl/errors';
import { ropeCosSinCache, type RopeCache } from '@internvl/onnx';

/** HF's inv_freq = 1 / (factor_k · θ^(2k/d)), rounded to float32 at the same steps as PyTorch. */
function inverseFrequencies(llm: LlmConfig, factors?: number[], divisor = 1): Float32Array {
  const half = llm.headDim / 2;
  return Float32Array.from({ length: half }, (_, k) =>
    Math.fround(
      Math.fround(
        1 /
          Math.fround(
            Math.fround(factors?.[k] ?? 1) * Math.fround(llm.ropeTheta ** Math.fround((2 * k) / llm.headDim)),
          ),
      ) / divisor,
    ),
  );
}

/**
 * The rotary caches of a decoder ([maxPositions, headDim/2] each). Phi-3 LongRoPE ("su"/"longrope")
 * has two: short factors while the sequence fits original_max_position_embeddings, long factors past
 * it, both scaled by mscale — the graph picks one per forward from the total length, as the reference
 * re-evaluates it per call (cached keys keep the rotation they were stored with).
 */
export function ropeCaches(llm: LlmConfig, maxPositions: number): { short: RopeCache; long?: RopeCache } {
  const scaling = llm.ropeScaling;
  const cache = (invFreq: Float32Array, scale = 1) =>
    ropeCosSinCache(maxPositions, llm.headDim, { invFreq, scale });
  switch (scaling.type) {
    case 'none':
      return { short: cache(inverseFrequencies(llm)) };
    case 'linear':
      return { short: cache(inverseFrequencies(llm, undefined, scaling.factor)) };
    case 'dynamic':
      // Dynamic NTK only changes the base beyond max_position_embeddings, which the context cap never exceeds.
      if (maxPositions > llm.maxPositionEmbeddings) {
        throw new InvalidArgumentError(
          `context ${maxPositions} exceeds max_position_embeddings ${llm.maxPositionEmbeddings}; dynamic NTK scaling past it is not supported`,
        );
      }
      return { short: cache(inverseFrequencies(llm)) };
    case 'su':
    case 'longrope': {
      const half = llm.headDim / 2;
      if (scaling.shortFactor.length !== half || scaling.longFactor.length !== half) {
        throw new InvalidArgumentError(
          `rope_scaling factors must have head_dim/2 = ${half} entries (short ${scaling.shortFactor.length}, long ${scaling.longFactor.length})`,
        );
      }
      const orig = llm.originalMaxPositionEmbeddings;
      const ratio = llm.maxPositionEmbeddings / orig;
      const mscale = ratio <= 1 ? 1 : Math.sqrt(1 + Math.log(ratio) / Math.log(orig));
      const short = cache(inverseFrequencies(llm, scaling.shortFactor), scaling.shortMscale ?? mscale);
      if (maxPositions <= orig) return { short };
      return {
        short,
        long: cache(inverseFrequencies(llm, scaling.longFactor), scaling.longMscale ?? mscale),
      };
    }
  }
}
