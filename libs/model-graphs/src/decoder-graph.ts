import { attr, GraphBuilder, type GraphBuilderOptions } from '@internvl/onnx';
import type { FloatType } from '@internvl/float-formats';
import { decoderIo, embedIo, type InternVLConfig, type TensorSpec } from '@internvl/model-config';
import { decoderWeights } from './decoder-weights';
import { specInput, specOutput } from './graph-io';
import { floatType, linear } from './linear';
import { rmsNorm, skipRmsNorm } from './norms';
import type { Precision, WeightSource } from './weight-source';

/**
 * decoder.onnx (contract in model-config's DECODER_IO and decoderIo): new positions' embeddings and
 * rotation + the cache as it is → logits of the asked positions + the new positions' K/V rows.
 *
 * Attention reads the past straight from the caller's buffers: scores against the past
 * (FusedMatMul with transB, no transpose or concat of the cache) and against the new positions are
 * soft-maxed together and applied to both value sets. Nothing cache-sized is copied or output, so
 * a step costs the cache's bytes once. Query heads are grouped per KV head ([b, KV, G·s, hd]) so
 * each KV head is read once however many query heads share it (GQA).
 * Residual adds are fused into SkipSimplifiedLayerNormalization.
 */
export function buildDecoderGraph(
  config: InternVLConfig,
  weights: WeightSource,
  precision: Precision,
  options: {
    graph?: GraphBuilderOptions;
    onLayer?: (i: number, total: number) => void;
    /** KV cache element type; default the compute type. float16 with fp32 compute runs attention in fp16. */
    kvDtype?: FloatType;
    /**
     * int4 quantization block along K (32, 64 or 128). 128 (GPTQ/AWQ's group size; 4.31 bits a
     * weight with its scale and zero point) ran MatMulNBits 35% faster at decode and 20% at prefill
     * than 32 on a Zen 4 CPU; 32 quantizes finer.
     */
    int4Block?: number;
  } = {},
): GraphBuilder {
  const l = config.llm;
  const D = l.hiddenSize;
  const hd = l.headDim;
  const H = l.numHeads;
  const KV = l.numKvHeads;
  const G = H / KV;
  const I = l.intermediateSize;
  const half = hd / 2;
  const type = floatType(precision);
  const w = decoderWeights(config, weights);
  const g = new GraphBuilder('internvl_decoder', options.graph);
  const toType = (x: string) => (type === 'float32' ? x : g.op('Cast', [x], { to: attr.int(10) }));
  const kvType = options.kvDtype ?? type;
  const io = decoderIo(config, { type, kvType });
  const cast = (x: string, from: string, to: string) =>
    from === to ? x : g.op('Cast', [x], { to: attr.int(to === 'float16' ? 10 : 1) });

  const embeds = specInput(g, io.inputsEmbeds);
  // The rotation of each new position comes in as rows [b·s, hd/2] and serves RotaryEmbedding as
  // its "cache", indexed by each position's row number: any per-sequence regime, one fused kernel.
  const rows = (spec: TensorSpec) =>
    toType(g.op('Reshape', [specInput(g, spec), g.constant([-1, half], 'int64')]));
  const cos = rows(io.ropeCos);
  const sin = rows(io.ropeSin);
  const batchSeq = g.op('Shape', [io.ropeCos.name], { start: attr.int(0), end: attr.int(2) });
  const rowIds = g.op('Reshape', [
    g.op('Range', [
      g.constant([0], 'int64', []),
      g.op('ReduceProd', [batchSeq], { keepdims: attr.int(0) }),
      g.constant([1], 'int64', []),
    ]),
    batchSeq,
  ]);
  const pastBias = toType(specInput(g, io.pastBias));
  // [b, 1, s, s] → [b, 1, G·s, s]: the mask of new positions repeated for each query head of a group.
  const newBias = toType(g.op('Tile', [specInput(g, io.newBias), g.constant([1, 1, G, 1], 'int64')]));
  const logitsIndices = specInput(g, io.logitsIndices);
  const scale = 1 / Math.sqrt(hd);

  // x [b, s, n·hd], rotate_half layout (not interleaved).
  const rotate = (x: string, n: number) =>
    g.op(
      'RotaryEmbedding',
      [x, rowIds, cos, sin],
      { num_heads: attr.int(n), interleaved: attr.int(0) },
      'com.microsoft',
    );

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
      undefined,
      options.int4Block,
    );
    const [q, k, v] = g.node('Split', [qkv, g.constant([H * hd, KV * hd, KV * hd], 'int64')], {
      attrs: { axis: attr.int(-1) },
      outputs: 3,
    }) as [string, string, string];
    const heads = (x: string, n: number) => g.op('Reshape', [x, g.constant([0, 0, n, hd], 'int64')]);
    // [b, s, KV, G, hd] → [b, KV, G, s, hd] → [b, KV, G·s, hd]
    const query = g.op('Reshape', [
      g.op('Transpose', [g.op('Reshape', [heads(rotate(q, H), H), g.constant([0, 0, KV, G, hd], 'int64')])], {
        perm: attr.ints([0, 2, 3, 1, 4]),
      }),
      g.constant([0, KV, -1, hd], 'int64'),
    ]);
    const newKey = cast(
      g.op('Transpose', [heads(rotate(k, KV), KV)], { perm: attr.ints([0, 2, 1, 3]) }),
      type,
      kvType,
    );
    const newValue = cast(g.op('Transpose', [heads(v, KV)], { perm: attr.ints([0, 2, 1, 3]) }), type, kvType);
    specOutput(g, newKey, io.newKey(i));
    specOutput(g, newValue, io.newValue(i));

    const pastK = specInput(g, io.pastKey(i));
    const pastV = specInput(g, io.pastValue(i));
    // The products run in the cache's type (reading the cache is their cost); softmax in the compute type.
    const kvQuery = cast(query, type, kvType);
    const scores = (keys: string, bias: string) =>
      g.op('Add', [
        cast(
          g.op(
            'FusedMatMul',
            [kvQuery, keys],
            { transB: attr.int(1), alpha: attr.float(scale) },
            'com.microsoft',
          ),
          kvType,
          type,
        ),
        bias,
      ]);
    const probs = g.op(
      'Softmax',
      [g.op('Concat', [scores(pastK, pastBias), scores(newKey, newBias)], { axis: attr.int(-1) })],
      { axis: attr.int(-1) },
    );
    const lengths = g.op(
      'Concat',
      [
        g.op('Shape', [pastK], { start: attr.int(2), end: attr.int(3) }),
        g.op('Shape', [newKey], { start: attr.int(2), end: attr.int(3) }),
      ],
      { axis: attr.int(0) },
    );
    const [pPast, pNew] = g.node('Split', [probs, lengths], {
      attrs: { axis: attr.int(-1) },
      outputs: 2,
    }) as [string, string];
    const context = cast(
      g.op('Add', [
        g.op('MatMul', [cast(pPast, type, kvType), pastV]),
        g.op('MatMul', [cast(pNew, type, kvType), newValue]),
      ]),
      kvType,
      type,
    );
    // [b, KV, G·s, hd] → [b, KV, G, s, hd] → [b, s, KV, G, hd] → [b, s, H·hd]
    const attn = g.op('Reshape', [
      g.op('Transpose', [g.op('Reshape', [context, g.constant([0, KV, G, -1, hd], 'int64')])], {
        perm: attr.ints([0, 3, 1, 2, 4]),
      }),
      g.constant([0, 0, H * hd], 'int64'),
    ]);
    const o = linear(
      g,
      attn,
      { name: `layers.${i}.o_proj`, weight: lw.o, inFeatures: H * hd, outFeatures: D },
      precision,
      undefined,
      options.int4Block,
    );

    const post = skipRmsNorm(g, o, residual, `layers.${i}.post_norm`, lw.postNorm, l.rmsNormEps, precision);
    residual = post.sum;
    const gateUp = linear(
      g,
      post.normed,
      { name: `layers.${i}.gate_up`, weight: lw.gateUp, inFeatures: D, outFeatures: 2 * I },
      precision,
      undefined,
      options.int4Block,
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
      undefined,
      options.int4Block,
    );
    options.onLayer?.(i + 1, l.numLayers);
  }

  const final = skipRmsNorm(g, pending!, residual, 'final_norm', w.finalNorm(), l.rmsNormEps, precision);
  // Only the asked positions go through lm_head: a prefill needs one row, not a [s, vocab] GEMM.
  const picked = g.op(
    'Gather',
    [g.op('Reshape', [final.normed, g.constant([-1, D], 'int64')]), logitsIndices],
    {
      axis: attr.int(0),
    },
  );
  let logits = linear(
    g,
    picked,
    { name: 'lm_head', weight: w.lmHead(), inFeatures: D, outFeatures: l.vocabSize },
    precision,
    undefined,
    options.int4Block,
  );
  // Sampling wants fp32 logits whatever the compute precision.
  if (type === 'float16') logits = g.op('Cast', [logits], { to: attr.int(1) });
  specOutput(g, logits, io.logits);
  return g;
}

/**
 * embed.onnx (contract in model-config's embedIo): input_ids [b, s] int64 → inputs_embeds [b, s, D]
 * (a Gather over the embedding table).
 */
export function buildEmbedGraph(
  config: InternVLConfig,
  weights: WeightSource,
  precision: Precision,
  graphOptions?: GraphBuilderOptions,
): GraphBuilder {
  const l = config.llm;
  const type = floatType(precision);
  const g = new GraphBuilder('internvl_embed', graphOptions);
  const io = embedIo(config, type);
  const ids = specInput(g, io.inputIds);
  // int4 models keep the table in fp16 (half the bytes) and widen after the lookup.
  const tableType = precision === 'fp32' ? 'float32' : 'float16';
  const table = g.initializer('embed_tokens.weight', {
    type: tableType,
    dims: [l.vocabSize, l.hiddenSize],
    data: decoderWeights(config, weights).embed(),
  });
  let out = g.op('Gather', [table, ids], { axis: attr.int(0) });
  if (tableType !== type) out = g.op('Cast', [out], { to: attr.int(1) });
  specOutput(g, out, io.inputsEmbeds);
  return g;
}
