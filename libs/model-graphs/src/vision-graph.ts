import { attr, GraphBuilder, type GraphBuilderOptions } from '@internvl/onnx';
import { InvalidArgumentError } from '@internvl/errors';
import { projectorInputSize, visionIo, type InternVLConfig } from '@internvl/model-config';
import { specInput, specOutput } from './graph-io';
import { floatInit, floatType, geluExact, linear } from './linear';
import { layerNorm, rmsNorm } from './norms';
import type { Precision, WeightSource } from './weight-source';

/** Which encoder layers run: select_layer −1 = all of them; −k stops k−1 layers early. */
export function visionLayersToRun(config: InternVLConfig): number {
  const n = config.vision.numLayers;
  const index = config.selectLayer < 0 ? n + 1 + config.selectLayer : config.selectLayer;
  if (index < 1 || index > n)
    throw new InvalidArgumentError(`select_layer ${config.selectLayer} is outside the ${n} vision layers`);
  return index;
}

/**
 * vision.onnx (contract in model-config's visionIo): pixel_values [n,3,S,S] → image_embeds
 * [n, 256, llm_hidden]. InternViT (patch conv, CLS, position embedding, pre-norm layers with layer
 * scale), CLS drop, pixel shuffle (v1/v2) and the mlp1 projector, all in one graph.
 */
export function buildVisionGraph(
  config: InternVLConfig,
  weights: WeightSource,
  precision: Precision,
  options: { graph?: GraphBuilderOptions; onLayer?: (i: number, total: number) => void } = {},
): GraphBuilder {
  const v = config.vision;
  const C = v.hiddenSize;
  const S = config.imageSize;
  const P = v.patchSize;
  if (S % P !== 0) throw new InvalidArgumentError(`image size ${S} is not a multiple of patch size ${P}`);
  const grid = S / P;
  const tokens = grid * grid + 1;
  const type = floatType(precision);
  const g = new GraphBuilder('internvl_vision', options.graph);
  const io = visionIo(config, type);
  const pv = specInput(g, io.pixelValues);
  const read = (name: string, shape: number[]) => weights.read(`vision_model.${name}`, shape);

  // Patch embedding → [n, grid², C].
  const convW = floatInit(
    g,
    'patch_embedding.weight',
    read('embeddings.patch_embedding.weight', [C, 3, P, P]),
    [C, 3, P, P],
    precision,
  );
  const convB = floatInit(
    g,
    'patch_embedding.bias',
    read('embeddings.patch_embedding.bias', [C]),
    [C],
    precision,
  );
  const patches = g.op('Conv', [pv, convW, convB], {
    kernel_shape: attr.ints([P, P]),
    strides: attr.ints([P, P]),
  });
  const flat = g.op('Reshape', [patches, g.constant([0, C, grid * grid], 'int64')]);
  const seq = g.op('Transpose', [flat], { perm: attr.ints([0, 2, 1]) });

  // Prepend CLS (broadcast over tiles), add position embedding.
  const cls = floatInit(
    g,
    'class_embedding',
    read('embeddings.class_embedding', [1, 1, C]),
    [1, 1, C],
    precision,
  );
  const n = g.op('Slice', [g.op('Shape', [pv]), g.constant([0], 'int64'), g.constant([1], 'int64')]);
  const clsShape = g.op('Concat', [n, g.constant([1, C], 'int64')], { axis: attr.int(0) });
  const clsTiles = g.op('Expand', [cls, clsShape]);
  const withCls = g.op('Concat', [clsTiles, seq], { axis: attr.int(1) });
  const pos = floatInit(
    g,
    'position_embedding',
    read('embeddings.position_embedding', [1, tokens, C]),
    [1, tokens, C],
    precision,
  );
  let h = g.op('Add', [withCls, pos]);

  const layers = visionLayersToRun(config);
  const heads = v.numHeads;
  const norm = (x: string, name: string) =>
    v.normType === 'layer_norm'
      ? layerNorm(
          g,
          x,
          name,
          read(`${name}.weight`, [C]),
          read(`${name}.bias`, [C]),
          v.layerNormEps,
          precision,
        )
      : rmsNorm(g, x, name, read(`${name}.weight`, [C]), v.layerNormEps, precision);
  for (let i = 0; i < layers; i++) {
    const L = `encoder.layers.${i}`;
    const qkv = linear(
      g,
      norm(h, `${L}.norm1`),
      {
        name: `${L}.attn.qkv`,
        weight: read(`${L}.attn.qkv.weight`, [3 * C, C]),
        bias: v.qkvBias ? read(`${L}.attn.qkv.bias`, [3 * C]) : undefined,
        inFeatures: C,
        outFeatures: 3 * C,
      },
      precision,
      false,
    );
    const [qRaw, kRaw, value] = g.node('Split', [qkv, g.constant([C, C, C], 'int64')], {
      attrs: { axis: attr.int(-1) },
      outputs: 3,
    }) as [string, string, string];
    let q = qRaw!;
    let k = kRaw!;
    if (v.qkNormalization) {
      q = rmsNorm(g, q, `${L}.attn.q_norm`, read(`${L}.attn.q_norm.weight`, [C]), v.layerNormEps, precision);
      k = rmsNorm(g, k, `${L}.attn.k_norm`, read(`${L}.attn.k_norm.weight`, [C]), v.layerNormEps, precision);
    }
    const attended = g.op(
      'MultiHeadAttention',
      [q, k, value!],
      { num_heads: attr.int(heads) },
      'com.microsoft',
    );
    const proj = linear(
      g,
      attended,
      {
        name: `${L}.attn.proj`,
        weight: read(`${L}.attn.proj.weight`, [C, C]),
        bias: read(`${L}.attn.proj.bias`, [C]),
        inFeatures: C,
        outFeatures: C,
      },
      precision,
      false,
    );
    h = g.op('Add', [
      h,
      g.op('Mul', [proj, floatInit(g, `${L}.ls1`, read(`${L}.ls1`, [C]), [C], precision)]),
    ]);

    const I = v.intermediateSize;
    const fc1 = linear(
      g,
      norm(h, `${L}.norm2`),
      {
        name: `${L}.mlp.fc1`,
        weight: read(`${L}.mlp.fc1.weight`, [I, C]),
        bias: read(`${L}.mlp.fc1.bias`, [I]),
        inFeatures: C,
        outFeatures: I,
      },
      precision,
      false,
    );
    const fc2 = linear(
      g,
      geluExact(g, fc1),
      {
        name: `${L}.mlp.fc2`,
        weight: read(`${L}.mlp.fc2.weight`, [C, I]),
        bias: read(`${L}.mlp.fc2.bias`, [C]),
        inFeatures: I,
        outFeatures: C,
      },
      precision,
      false,
    );
    h = g.op('Add', [h, g.op('Mul', [fc2, floatInit(g, `${L}.ls2`, read(`${L}.ls2`, [C]), [C], precision)])]);
    options.onLayer?.(i + 1, layers);
  }

  // Drop CLS, pixel shuffle (scale 1/r), then mlp1.
  const r = Math.round(1 / config.downsampleRatio);
  const patchTokens = g.op('Slice', [
    h,
    g.constant([1], 'int64'),
    g.constant([tokens], 'int64'),
    g.constant([1], 'int64'),
  ]);
  const x1 = g.op('Reshape', [patchTokens, g.constant([0, grid, grid / r, C * r], 'int64')]);
  const x2 = g.op('Transpose', [x1], { perm: attr.ints([0, 2, 1, 3]) });
  let x3 = g.op('Reshape', [x2, g.constant([0, grid / r, grid / r, C * r * r], 'int64')]);
  // v2 transposes back so token t = row_pair·(grid/r) + col_pair; v1 (InternVL-Chat-V1-5) keeps the transposed grid.
  if (config.psVersion === 'v2') x3 = g.op('Transpose', [x3], { perm: attr.ints([0, 2, 1, 3]) });
  const D4 = projectorInputSize(config);
  const shuffled = g.op('Reshape', [x3, g.constant([0, config.numImageTokens, D4], 'int64')]);

  const D = config.llm.hiddenSize;
  const ln = layerNorm(
    g,
    shuffled,
    'mlp1.0',
    weights.read('mlp1.0.weight', [D4]),
    weights.read('mlp1.0.bias', [D4]),
    1e-5,
    precision,
  );
  const l1 = linear(
    g,
    ln,
    {
      name: 'mlp1.1',
      weight: weights.read('mlp1.1.weight', [D, D4]),
      bias: weights.read('mlp1.1.bias', [D]),
      inFeatures: D4,
      outFeatures: D,
    },
    precision,
    false,
  );
  const l3 = linear(
    g,
    geluExact(g, l1),
    {
      name: 'mlp1.3',
      weight: weights.read('mlp1.3.weight', [D, D]),
      bias: weights.read('mlp1.3.bias', [D]),
      inFeatures: D,
      outFeatures: D,
    },
    precision,
    false,
  );
  specOutput(g, l3, io.imageEmbeds);
  return g;
}
