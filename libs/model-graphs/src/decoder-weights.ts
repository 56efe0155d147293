import type { InternVLConfig } from '@internvl/model-config';
import type { WeightSource } from './weight-source';

/** One decoder layer's weights in the common layout the graph uses (PyTorch [out, in]). */
export interface DecoderLayerWeights {
  inputNorm: Float32Array;
  /** [(H + 2·KV)·hd, D], rows [q | k | v], q heads in order. */
  qkv: Float32Array;
  /** [D, H·hd]. */
  o: Float32Array;
  postNorm: Float32Array;
  /** [2·I, D], rows [gate | up]. */
  gateUp: Float32Array;
  /** [D, I]. */
  down: Float32Array;
}

/** Reads the architecture-specific tensors and maps them to the common layout. */
export interface DecoderWeights {
  embed(): Float32Array;
  layer(i: number): DecoderLayerWeights;
  finalNorm(): Float32Array;
  lmHead(): Float32Array;
}

/** a then b in one array (row blocks of a weight, or stacked tables). */
export function concatRows(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * InternLM2's wqkv rows are grouped per KV head: [KV, G+2, hd, D] with G = H/KV query heads,
 * then that group's k and v. Reorders to [q (heads g·G+j in order) | k | v].
 */
export function deinterleaveInternLM2Wqkv(
  wqkv: Float32Array,
  heads: number,
  kvHeads: number,
  headDim: number,
  hidden: number,
): Float32Array {
  const G = heads / kvHeads;
  const row = headDim * hidden;
  const out = new Float32Array(wqkv.length);
  for (let kv = 0; kv < kvHeads; kv++) {
    for (let j = 0; j < G + 2; j++) {
      const src = (kv * (G + 2) + j) * row;
      const dstHead = j < G ? kv * G + j : j === G ? heads + kv : heads + kvHeads + kv;
      out.set(wqkv.subarray(src, src + row), dstHead * row);
    }
  }
  return out;
}

export function decoderWeights(config: InternVLConfig, w: WeightSource): DecoderWeights {
  const l = config.llm;
  const D = l.hiddenSize;
  const I = l.intermediateSize;
  const hd = l.headDim;
  const qkvRows = (l.numHeads + 2 * l.numKvHeads) * hd;
  if (l.architecture === 'Phi3ForCausalLM') {
    const p = 'language_model.model';
    return {
      embed: () => w.read(`${p}.embed_tokens.weight`, [l.vocabSize, D]),
      layer: (i) => ({
        inputNorm: w.read(`${p}.layers.${i}.input_layernorm.weight`, [D]),
        qkv: w.read(`${p}.layers.${i}.self_attn.qkv_proj.weight`, [qkvRows, D]),
        o: w.read(`${p}.layers.${i}.self_attn.o_proj.weight`, [D, l.numHeads * hd]),
        postNorm: w.read(`${p}.layers.${i}.post_attention_layernorm.weight`, [D]),
        gateUp: w.read(`${p}.layers.${i}.mlp.gate_up_proj.weight`, [2 * I, D]),
        down: w.read(`${p}.layers.${i}.mlp.down_proj.weight`, [D, I]),
      }),
      finalNorm: () => w.read(`${p}.norm.weight`, [D]),
      lmHead: () =>
        l.tieWordEmbeddings
          ? w.read(`${p}.embed_tokens.weight`, [l.vocabSize, D])
          : w.read('language_model.lm_head.weight', [l.vocabSize, D]),
    };
  }
  const p = 'language_model.model';
  return {
    embed: () => w.read(`${p}.tok_embeddings.weight`, [l.vocabSize, D]),
    layer: (i) => ({
      inputNorm: w.read(`${p}.layers.${i}.attention_norm.weight`, [D]),
      qkv: deinterleaveInternLM2Wqkv(
        w.read(`${p}.layers.${i}.attention.wqkv.weight`, [qkvRows, D]),
        l.numHeads,
        l.numKvHeads,
        hd,
        D,
      ),
      o: w.read(`${p}.layers.${i}.attention.wo.weight`, [D, l.numHeads * hd]),
      postNorm: w.read(`${p}.layers.${i}.ffn_norm.weight`, [D]),
      gateUp: concatRows(
        w.read(`${p}.layers.${i}.feed_forward.w1.weight`, [I, D]),
        w.read(`${p}.layers.${i}.feed_forward.w3.weight`, [I, D]),
      ),
      down: w.read(`${p}.layers.${i}.feed_forward.w2.weight`, [D, I]),
    }),
    finalNorm: () => w.read(`${p}.norm.weight`, [D]),
    lmHead: () =>
      l.tieWordEmbeddings
        ? w.read(`${p}.tok_embeddings.weight`, [l.vocabSize, D])
        : w.read('language_model.output.weight', [l.vocabSize, D]),
  };
}
