import { attr, GraphBuilder, type GraphBuilderOptions } from '@internvl/onnx';
import type { InternVLConfig } from '@internvl/model-config';
import { concatRows, decoderWeights } from './decoder-weights';
import { floatInit, floatType, linear } from './linear';
import { rmsNorm, skipRmsNorm } from './norms';
import { ropeCaches } from './rope-cache';
import type { Precision, WeightSource } from './weight-source';

/** Tensor names of decoder.onnx (onnxruntime-genai conventions). */
export const DECODER_IO = {
  inputsEmbeds: 'inputs_embeds',
  attentionMask: 'attention_mask',
  /** int64 scalar k: logits for the last k positions of each row only; 0 = all positions. */
  logitsToKeep: 'logits_to_keep',
  logits: 'logits',
  pastKey: (i: number) => `past_key_values.${i}.key`,
  pastValue: (i: number) => `past_key_values.${i}.value`,
  presentKey: (i: number) => `present.${i}.key`,
  presentValue: (i: number) => `present.${i}.value`,
} as const;

/**
 * decoder.onnx: inputs_embeds [b, s, D] + attention_mask [b, past+s] (int64, 1 = real token) +
 * past_key_values.{i}.key/value [b, kv, past, hd] + logits_to_keep k (int64 scalar) → logits
 * [b, k, vocab] for the last k positions (all s when k is 0; float32) +
 * present.{i}.key/value [b, kv, past+s, hd]. Attention is com.microsoft GroupQueryAttention with
 * packed QKV and rotary applied inside; residual adds are fused into SkipSimplifiedLayerNormalization.
 * Works for prefill of any length and single-token decode; `maxPositions` bounds the rotary cache.
 */
export function buildDecoderGraph(
  config: InternVLConfig,
  weights: WeightSource,
  precision: Precision,
  maxPositions: number,
  options: { graph?: GraphBuilderOptions; onLayer?: (i: number, total: number) => void } = {},
): GraphBuilder {
  const l = config.llm;
  const D = l.hiddenSize;
  const hd = l.headDim;
  const H = l.numHeads;
  const KV = l.numKvHeads;
  const I = l.intermediateSize;
  const type = floatType(precision);
  const w = decoderWeights(config, weights);
  const g = new GraphBuilder('internvl_decoder', options.graph);

  const embeds = g.input(DECODER_IO.inputsEmbeds, type, ['batch', 'seq', D]);
  const mask = g.input(DECODER_IO.attentionMask, 'int64', ['batch', 'total_seq']);
  // GroupQueryAttention wants, per row, the index of its last real token and the padded total length.
  const seqlensK = g.op(
    'Cast',
    [
      g.op('Sub', [
        g.op('ReduceSum', [mask, g.constant([1], 'int64')], { keepdims: attr.int(0) }),
        g.constant([1], 'int64'),
      ]),
    ],
    { to: attr.int(6) },
  );
  const totalLen64 = g.op('Gather', [g.op('Shape', [mask]), g.constant([1], 'int64', [])], {
    axis: attr.int(0),
  });
  const totalLen = g.op('Cast', [totalLen64], { to: attr.int(6) });

  const caches = ropeCaches(l, maxPositions);
  const half = hd / 2;
  let cos: string;
  let sin: string;
  if (caches.long) {
    // LongRoPE: choose the long-factor cache once the sequence passes original_max_position_embeddings.
    const cosBoth = floatInit(
      g,
      'rope.cos_short_long',
      concatRows(caches.short.cos, caches.long.cos),
      [2, maxPositions, half],
      precision,
    );
    const sinBoth = floatInit(
      g,
      'rope.sin_short_long',
      concatRows(caches.short.sin, caches.long.sin),
      [2, maxPositions, half],
      precision,
    );
    const useLong = g.op(
      'Cast',
      [g.op('Greater', [totalLen64, g.constant([l.originalMaxPositionEmbeddings], 'int64', [])])],
      { to: attr.int(7) },
    );
    cos = g.op('Gather', [cosBoth, useLong], { axis: attr.int(0) });
    sin = g.op('Gather', [sinBoth, useLong], { axis: attr.int(0) });
  } else {
    cos = floatInit(g, 'rope.cos', caches.short.cos, [maxPositions, half], precision);
    sin = floatInit(g, 'rope.sin', caches.short.sin, [maxPositions, half], precision);
  }

  let residual = embeds;
  let pending: string | undefined; // output of the previous block, not yet added to the residual
  for (let i = 0; i < l.numLayers; i++) {
    const lw = w.layer(i);
    let normed: string;
    if (pending === undefined)
      normed = rmsNorm(g, residual, `layers.${i}.input_norm`, lw.inputNorm, l.rmsNormEps, precision);
    else
      ({ normed, sum: residual } = skipRmsNorm(
        g,
        pending,
        residual,
        `layers.${i}.input_norm`,
        lw.inputNorm,
        l.rmsNormEps,
        precision,
      ));

    const qkv = linear(
      g,
      normed,
      { name: `layers.${i}.qkv`, weight: lw.qkv, inFeatures: D, outFeatures: (H + 2 * KV) * hd },
      precision,
    );
    const pastK = g.input(DECODER_IO.pastKey(i), type, ['batch', KV, 'past_seq', hd]);
    const pastV = g.input(DECODER_IO.pastValue(i), type, ['batch', KV, 'past_seq', hd]);
    const [attn] = g.node('GroupQueryAttention', [qkv, '', '', pastK, pastV, seqlensK, totalLen, cos, sin], {
      attrs: {
        num_heads: attr.int(H),
        kv_num_heads: attr.int(KV),
        do_rotary: attr.int(1),
        rotary_interleaved: attr.int(0),
      },
      domain: 'com.microsoft',
      outputs: [g.uniqueName(`layers.${i}.attn`), DECODER_IO.presentKey(i), DECODER_IO.presentValue(i)],
    });
    g.output(DECODER_IO.presentKey(i), type, ['batch', KV, 'total_seq', hd]);
    g.output(DECODER_IO.presentValue(i), type, ['batch', KV, 'total_seq', hd]);
    const o = linear(
      g,
      attn!,
      { name: `layers.${i}.o_proj`, weight: lw.o, inFeatures: H * hd, outFeatures: D },
      precision,
    );

    const post = skipRmsNorm(g, o, residual, `layers.${i}.post_norm`, lw.postNorm, l.rmsNormEps, precision);
    residual = post.sum;
    const gateUp = linear(
      g,
      post.normed,
      { name: `layers.${i}.gate_up`, weight: lw.gateUp, inFeatures: D, outFeatures: 2 * I },
      precision,
    );
    const [gate, up] = g.node('Split', [gateUp, g.constant([I, I], 'int64')], {
      attrs: { axis: attr.int(-1) },
      outputs: 2,
    }) as [string, string];
    const act = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), up]);
    pending = linear(
      g,
      act,
      { name: `layers.${i}.down`, weight: lw.down, inFeatures: I, outFeatures: D },
      precision,
    );
    options.onLayer?.(i + 1, l.numLayers);
  }

  const final = skipRmsNorm(g, pending!, residual, 'final_norm', w.finalNorm(), l.rmsNormEps, precision);
  // A prefill needs only its last position's logits: the rest would cost an lm_head GEMM and, at a
  // real vocabulary, hundreds of MB of output for an image prompt.
  const keep = g.input(DECODER_IO.logitsToKeep, 'int64', []);
  const seq = g.op('Gather', [g.op('Shape', [final.normed]), g.constant([1], 'int64', [])], {
    axis: attr.int(0),
  });
  const kept = g.op('Where', [
    g.op('Equal', [keep, g.constant([0], 'int64', [])]),
    seq,
    g.op('Min', [keep, seq]),
  ]);
  const start = g.op('Unsqueeze', [g.op('Sub', [seq, kept]), g.constant([0], 'int64')]);
  const lastPositions = g.op('Slice', [
    final.normed,
    start,
    g.constant([Number.MAX_SAFE_INTEGER], 'int64'),
    g.constant([1], 'int64'),
  ]);
  let logits = linear(
    g,
    lastPositions,
    { name: 'lm_head', weight: w.lmHead(), inFeatures: D, outFeatures: l.vocabSize },
    precision,
  );
  // Sampling wants fp32 logits whatever the compute precision.
  if (type === 'float16') logits = g.op('Cast', [logits], { to: attr.int(1) });
  g.node('Identity', [logits], { outputs: [DECODER_IO.logits] });
  g.output(DECODER_IO.logits, 'float32', ['batch', 'logits_seq', l.vocabSize]);
  return g;
}

/** embed.onnx: input_ids [b, s] int64 → inputs_embeds [b, s, D] (a Gather over the embedding table). */
export function buildEmbedGraph(
  config: InternVLConfig,
  weights: WeightSource,
  precision: Precision,
  graphOptions?: GraphBuilderOptions,
): GraphBuilder {
  const l = config.llm;
  const type = floatType(precision);
  const g = new GraphBuilder('internvl_embed', graphOptions);
  const ids = g.input('input_ids', 'int64', ['batch', 'seq']);
  // int4 models keep the table in fp16 (half the bytes) and widen after the lookup.
  const tableType = precision === 'fp32' ? 'float32' : 'float16';
  const table = g.initializer('embed_tokens.weight', {
    type: tableType,
    dims: [l.vocabSize, l.hiddenSize],
    data: decoderWeights(config, weights).embed(),
  });
  let out = g.op('Gather', [table, ids], { axis: attr.int(0) });
  if (tableType !== type) out = g.op('Cast', [out], { to: attr.int(1) });
  g.node('Identity', [out], { outputs: ['inputs_embeds'] });
  g.output('inputs_embeds', type, ['batch', 'seq', l.hiddenSize]);
  return g;
}
