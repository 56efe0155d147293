import type { LlmConfig } from '@internvl/model-config';
import { attention } from './attention';
import { addInPlace, linear } from './linear';
import { rmsNorm } from './norms';
import { applyRope, type RopeTables } from './rope';
import type { WeightSource } from './weight-source';

// The two halves every InternVL decoder layer (Phi-3, InternLM2) is built of: pre-norm RMSNorm,
// a residual add, and in between what the architecture's own weights do.

/** What one decoder layer works on: hidden states h [T, hidden] (updated in place), full recompute. */
export interface DecoderLayerInput {
  llm: LlmConfig;
  weights: WeightSource;
  h: Float32Array;
  T: number;
  rope: RopeTables;
}

/** Queries [T, numHeads·headDim], keys and values [T, numKvHeads·headDim], before RoPE. */
export interface Qkv {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
}

/**
 * The attention half, in place on h: h += out(attn(RoPE(q), RoPE(k), v)), causal
 * with GQA, where q, k, v = project(RMSNorm(h)); `norm` and `out` name the norm's weight and
 * the output projection's ([hidden, numHeads·headDim]).
 */
export function attentionBlock(
  { llm, weights, h, T, rope }: DecoderLayerInput,
  names: { norm: string; out: string },
  project: (x: Float32Array) => Qkv,
): void {
  const { hiddenSize: D, numHeads: H, numKvHeads: KV, headDim: hd } = llm;
  const { q, k, v } = project(rmsNorm(h, T, D, weights.read(names.norm, [D]), llm.rmsNormEps));
  const att = attention(applyRope(q, T, H, hd, rope), applyRope(k, T, KV, hd, rope), v, {
    T,
    numHeads: H,
    numKvHeads: KV,
    headDim: hd,
    scale: 1 / Math.sqrt(hd),
    causal: true,
  });
  addInPlace(h, linear(att, T, H * hd, weights.read(names.out, [D, H * hd]), D));
}

/**
 * The MLP half, in place on h: h += down(activate(RMSNorm(h))), where `activate`
 * gives the [T, intermediate] gated activations; `norm` and `down` name the norm's weight and the
 * down projection's ([hidden, intermediate]).
 */
export function mlpBlock(
  { llm, weights, h, T }: DecoderLayerInput,
  names: { norm: string; down: string },
  activate: (x: Float32Array) => Float32Array,
): void {
  const { hiddenSize: D, intermediateSize: I } = llm;
  const act = activate(rmsNorm(h, T, D, weights.read(names.norm, [D]), llm.rmsNormEps));
  addInPlace(h, linear(act, T, I, weights.read(names.down, [D, I]), D));
}
