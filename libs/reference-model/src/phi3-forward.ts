import type { LlmConfig } from '@internvl/model-config';
import { attention } from './attention';
import { addInPlace, columns, linear } from './linear';
import { rmsNorm } from './norms';
import { applyRope, type RopeTables } from './rope';
import { silu } from './silu';
import type { WeightSource } from './weight-source';

/**
 * One Phi3DecoderLayer (eager attention, no cache), in place on h [T, hidden]:
 * h += o_proj(attn(RoPE(q), RoPE(k), v)) with qkv_proj rows [q | k | v];
 * h += down_proj(up · silu(gate)) with gate_up_proj rows [gate | up].
 */
export function phi3DecoderLayer(
  llm: LlmConfig,
  weights: WeightSource,
  layer: number,
  h: Float32Array,
  T: number,
  rope: RopeTables,
): void {
  const D = llm.hiddenSize;
  const H = llm.numHeads;
  const KV = llm.numKvHeads;
  const hd = llm.headDim;
  const I = llm.intermediateSize;
  const qW = H * hd;
  const kvW = KV * hd;
  const P = `language_model.model.layers.${layer}`;

  const x1 = rmsNorm(h, T, D, weights.read(`${P}.input_layernorm.weight`, [D]), llm.rmsNormEps);
  const qkv = linear(
    x1,
    T,
    D,
    weights.read(`${P}.self_attn.qkv_proj.weight`, [qW + 2 * kvW, D]),
    qW + 2 * kvW,
  );
  const q = applyRope(columns(qkv, T, qW + 2 * kvW, 0, qW), T, H, hd, rope);
  const k = applyRope(columns(qkv, T, qW + 2 * kvW, qW, kvW), T, KV, hd, rope);
  const v = columns(qkv, T, qW + 2 * kvW, qW + kvW, kvW);
  const att = attention(q, k, v, {
    T,
    numHeads: H,
    numKvHeads: KV,
    headDim: hd,
    scale: 1 / Math.sqrt(hd),
    causal: true,
  });
  addInPlace(h, linear(att, T, qW, weights.read(`${P}.self_attn.o_proj.weight`, [D, qW]), D));

  const x2 = rmsNorm(h, T, D, weights.read(`${P}.post_attention_layernorm.weight`, [D]), llm.rmsNormEps);
  const gateUp = linear(x2, T, D, weights.read(`${P}.mlp.gate_up_proj.weight`, [2 * I, D]), 2 * I);
  const act = new Float32Array(T * I);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < I; i++) {
      // torch: up_states * act_fn(gate), each a float32 tensor.
      act[t * I + i] = gateUp[t * 2 * I + I + i] * Math.fround(silu(gateUp[t * 2 * I + i]));
    }
  }
  addInPlace(h, linear(act, T, I, weights.read(`${P}.mlp.down_proj.weight`, [D, I]), D));
}
