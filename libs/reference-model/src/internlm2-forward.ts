import { attentionBlock, mlpBlock, type DecoderLayerInput } from './decoder-blocks';
import { linear } from './linear';
import { silu } from './silu';

/** Plain per-projection weights recovered from InternLM2's fused wqkv. */
export interface SplitWqkv {
  /** [numHeads·headDim, hidden], query head h at rows h·headDim… */
  wq: Float32Array;
  /** [numKvHeads·headDim, hidden] */
  wk: Float32Array;
  /** [numKvHeads·headDim, hidden] */
  wv: Float32Array;
}

/**
 * Splits InternLM2's KV-grouped wqkv ([KV·(G+2)·hd, hidden], G = H/KV) into Wq/Wk/Wv:
 * viewed as [KV, G+2, hd, hidden], query head kv·G+j is slot j < G, the key is slot G and the
 * value slot G+1 of its group.
 */
export function splitInternLM2Wqkv(
  wqkv: Float32Array,
  numHeads: number,
  numKvHeads: number,
  headDim: number,
  hidden: number,
): SplitWqkv {
  const G = numHeads / numKvHeads;
  const block = headDim * hidden;
  const wq = new Float32Array(numHeads * block);
  const wk = new Float32Array(numKvHeads * block);
  const wv = new Float32Array(numKvHeads * block);
  const slot = (kv: number, s: number) =>
    wqkv.subarray((kv * (G + 2) + s) * block, (kv * (G + 2) + s + 1) * block);
  for (let kv = 0; kv < numKvHeads; kv++) {
    for (let j = 0; j < G; j++) wq.set(slot(kv, j), (kv * G + j) * block);
    wk.set(slot(kv, G), kv * block);
    wv.set(slot(kv, G + 1), kv * block);
  }
  return { wq, wk, wv };
}

/**
 * One InternLM2DecoderLayer (eager attention, no cache), in place on h [T, hidden]:
 * h += wo(attn(RoPE(q), RoPE(k), v)) with GQA; h += w2(silu(w1 x) · w3 x).
 */
export function internLM2DecoderLayer(input: DecoderLayerInput, layer: number): void {
  const { llm, weights, T } = input;
  const D = llm.hiddenSize;
  const H = llm.numHeads;
  const KV = llm.numKvHeads;
  const hd = llm.headDim;
  const I = llm.intermediateSize;
  const P = `language_model.model.layers.${layer}`;

  const attn = { norm: `${P}.attention_norm.weight`, out: `${P}.attention.wo.weight` };
  attentionBlock(input, attn, (x) => {
    const wqkv = weights.read(`${P}.attention.wqkv.weight`, [(H + 2 * KV) * hd, D]);
    const { wq, wk, wv } = splitInternLM2Wqkv(wqkv, H, KV, hd, D);
    return {
      q: linear(x, T, D, wq, H * hd),
      k: linear(x, T, D, wk, KV * hd),
      v: linear(x, T, D, wv, KV * hd),
    };
  });

  const mlp = { norm: `${P}.ffn_norm.weight`, down: `${P}.feed_forward.w2.weight` };
  mlpBlock(input, mlp, (x) => {
    const g = linear(x, T, D, weights.read(`${P}.feed_forward.w1.weight`, [I, D]), I);
    const u = linear(x, T, D, weights.read(`${P}.feed_forward.w3.weight`, [I, D]), I);
    for (let i = 0; i < g.length; i++) g[i] = Math.fround(silu(g[i])) * u[i];
    return g;
  });
}
