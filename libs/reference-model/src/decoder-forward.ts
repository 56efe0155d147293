import { InvalidArgumentError, UnimplementedError } from '@internvl/errors';
import { llmTopLevelNames, type InternVLConfig } from '@internvl/model-config';
import { internLM2DecoderLayer } from './internlm2-forward';
import { linear } from './linear';
import { rmsNorm } from './norms';
import { phi3DecoderLayer } from './phi3-forward';
import { ropeTables, type RopeTables } from './rope';
import type { WeightSource } from './weight-source';

/**
 * The decoder stack on inputs_embeds, full recompute (causal, no KV cache): all layers, then the
 * final RMSNorm. Phi3ForCausalLM or InternLM2ForCausalLM per config.llm.architecture.
 * @param inputsEmbeds [T, hidden]
 * @param positionIds defaults to 0..T−1
 * @param rotary per-position cos/sin rows instead of one table for the whole forward (see
 *   {@link cachedGenerationRotary})
 * @returns [T, hidden] final-norm hidden states
 */
export function decoderHiddenStates(
  config: InternVLConfig,
  weights: WeightSource,
  inputsEmbeds: Float32Array,
  T: number,
  positionIds?: readonly number[],
  rotary?: Pick<RopeTables, 'cos' | 'sin'>,
): Float32Array {
  const llm = config.llm;
  const D = llm.hiddenSize;
  if (!Number.isInteger(T) || T < 1 || inputsEmbeds.length !== T * D) {
    throw new InvalidArgumentError(`inputs_embeds has ${inputsEmbeds.length} values, expected ${T}×${D}`);
  }
  const positions = positionIds ?? Array.from({ length: T }, (_, i) => i);
  if (positions.length !== T || positions.some((p) => !Number.isInteger(p) || p < 0)) {
    throw new InvalidArgumentError(
      `position_ids must be ${T} non-negative integers, got ${positions.length}`,
    );
  }
  if (llm.slidingWindow !== undefined && T > llm.slidingWindow) {
    // HF's sliding-window mask has changed off-by-one across versions; refuse rather than guess.
    throw new UnimplementedError(
      `reference decoder does not model sliding_window (${llm.slidingWindow} < T=${T})`,
    );
  }
  const rope = rotary ? { ...ropeTables(llm, positions), ...rotary } : ropeTables(llm, positions);
  const h = Float32Array.from(inputsEmbeds);
  const layer = llm.architecture === 'Phi3ForCausalLM' ? phi3DecoderLayer : internLM2DecoderLayer;
  for (let i = 0; i < llm.numLayers; i++) layer({ llm, weights, h, T, rope }, i);
  return rmsNorm(h, T, D, weights.read(llmTopLevelNames(llm.architecture).finalNorm, [D]), llm.rmsNormEps);
}

/**
 * Rotary rows as HF generate with a KV cache applies them: each position keeps the rotation of the
 * forward that first computed it — the whole prompt's length for prompt positions (one prefill),
 * position + 1 for each generated token. A full recompute with these rows equals cached decoding,
 * also where LongRoPE switches factors or dynamic NTK rescales its base between steps.
 * @returns cos/sin [T, headDim]
 */
export function cachedGenerationRotary(
  config: InternVLConfig,
  promptLength: number,
  T: number,
): Pick<RopeTables, 'cos' | 'sin'> {
  const hd = config.llm.headDim;
  const cos = new Float32Array(T * hd);
  const sin = new Float32Array(T * hd);
  for (let t = 0; t < T; t++) {
    const forwardLength = t < promptLength ? promptLength : t + 1;
    // Row 0 is position t; the second position only sets the forward's length.
    const one = ropeTables(config.llm, [t, forwardLength - 1]);
    cos.set(one.cos.subarray(0, hd), t * hd);
    sin.set(one.sin.subarray(0, hd), t * hd);
  }
  return { cos, sin };
}

/**
 * The output projection (lm_head / output, or the embedding table when tied) on `rows` rows of
 * hidden starting at `rowOffset`.
 * @returns [rows, vocab] logits
 */
export function lmHeadLogits(
  config: InternVLConfig,
  weights: WeightSource,
  hidden: Float32Array,
  rows: number,
  rowOffset = 0,
): Float32Array {
  const { vocabSize, hiddenSize: D, architecture, tieWordEmbeddings } = config.llm;
  const names = llmTopLevelNames(architecture);
  const w = weights.read(tieWordEmbeddings ? names.embed : names.lmHead, [vocabSize, D]);
  return linear(hidden, rows, D, w, vocabSize, undefined, rowOffset);
}

/**
 * Causal-LM forward on inputs_embeds, full recompute.
 * @param inputsEmbeds [T, hidden]
 * @param positionIds defaults to 0..T−1
 * @returns logits [T, vocab]
 */
export function decoderForward(
  config: InternVLConfig,
  weights: WeightSource,
  inputsEmbeds: Float32Array,
  T: number,
  positionIds?: readonly number[],
): Float32Array {
  const hidden = decoderHiddenStates(config, weights, inputsEmbeds, T, positionIds);
  return lmHeadLogits(config, weights, hidden, T);
}
