import { attr, type GraphBuilder } from '@internvl/onnx';
import { floatInit } from './linear';
import type { Precision } from './weight-source';

/** LayerNormalization over the last axis with weight and bias (InternViT-300M, mlp1). */
export function layerNorm(
  g: GraphBuilder,
  x: string,
  name: string,
  weight: Float32Array,
  bias: Float32Array,
  eps: number,
  precision: Precision,
): string {
  const w = floatInit(g, `${name}.weight`, weight, [weight.length], precision);
  const b = floatInit(g, `${name}.bias`, bias, [bias.length], precision);
  // stash_type 1 keeps mean/variance in fp32 even for fp16 graphs.
  return g.op('LayerNormalization', [x, w, b], {
    axis: attr.int(-1),
    epsilon: attr.float(eps),
    stash_type: attr.int(1),
  });
}

/** RMSNorm (weight only) over the last axis: x · rsqrt(mean(x²) + eps) · w. */
export function rmsNorm(
  g: GraphBuilder,
  x: string,
  name: string,
  weight: Float32Array,
  eps: number,
  precision: Precision,
): string {
  const w = floatInit(g, `${name}.weight`, weight, [weight.length], precision);
  return g.op('SimplifiedLayerNormalization', [x, w], {
    axis: attr.int(-1),
    epsilon: attr.float(eps),
    stash_type: attr.int(1),
  });
}

/**
 * Residual add fused with RMSNorm (com.microsoft SkipSimplifiedLayerNormalization):
 * returns the normalized sum and the sum itself (the next residual).
 */
export function skipRmsNorm(
  g: GraphBuilder,
  x: string,
  residual: string,
  name: string,
  weight: Float32Array,
  eps: number,
  precision: Precision,
): { normed: string; sum: string } {
  const w = floatInit(g, `${name}.weight`, weight, [weight.length], precision);
  const [normed, , , sum] = g.node('SkipSimplifiedLayerNormalization', [x, residual, w], {
    attrs: { epsilon: attr.float(eps) },
    domain: 'com.microsoft',
    outputs: 4,
  });
  return { normed: normed!, sum: sum! };
}
