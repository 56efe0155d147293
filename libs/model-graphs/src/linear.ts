import type { FloatType } from '@internvl/float-formats';
import { attr, matMulNBitsNode, type GraphBuilder } from '@internvl/onnx';
import type { Precision } from './weight-source';

/** Float element type of activations and float weights for a precision (int4 keeps fp32 activations). */
export function floatType(precision: Precision): FloatType {
  return precision === 'fp16' ? 'float16' : 'float32';
}

/** Transposes a PyTorch Linear weight [out, in] into ONNX MatMul's B layout [in, out]. */
export function transposeWeight(weight: Float32Array, out: number, inp: number): Float32Array {
  const t = new Float32Array(weight.length);
  for (let o = 0; o < out; o++) {
    const row = o * inp;
    for (let i = 0; i < inp; i++) t[i * out + o] = weight[row + i]!;
  }
  return t;
}

export interface LinearSpec {
  /** Initializer name prefix, e.g. "layers.0.qkv". */
  name: string;
  /** PyTorch weight [out, in]. */
  weight: Float32Array;
  bias?: Float32Array;
  inFeatures: number;
  outFeatures: number;
}

/** Elements per int4 quantization block along K when the converter is not told otherwise. */
export const DEFAULT_INT4_BLOCK = 128;

/**
 * y = x · Wᵀ + b. fp32/fp16: MatMul (+ Add) with the weight stored [in, out]; int4: com.microsoft
 * MatMulNBits (blocks of `int4Block` along K, asymmetric, accuracy_level 4 so CPU uses int8 dot
 * products) — the decode hot path.
 */
export function linear(
  g: GraphBuilder,
  x: string,
  spec: LinearSpec,
  precision: Precision,
  quantize = precision === 'int4',
  int4Block = DEFAULT_INT4_BLOCK,
): string {
  const type = floatType(precision);
  let y: string;
  if (quantize) {
    y = matMulNBitsNode(g, x, `${spec.name}.weight`, spec.inFeatures, spec.outFeatures, {
      weight: transposeWeight(spec.weight, spec.outFeatures, spec.inFeatures),
      blockSize: int4Block,
      accuracyLevel: 4,
    });
  } else {
    const w = g.initializer(`${spec.name}.weight`, {
      type,
      dims: [spec.inFeatures, spec.outFeatures],
      data: transposeWeight(spec.weight, spec.outFeatures, spec.inFeatures),
    });
    y = g.op('MatMul', [x, w]);
  }
  if (spec.bias) {
    const b = g.initializer(`${spec.name}.bias`, { type, dims: [spec.outFeatures], data: spec.bias });
    y = g.op('Add', [y, b]);
  }
  return y;
}

/** Exact (erf) GELU, as InternViT and mlp1 use: 0.5·x·(1 + erf(x/√2)). */
export function geluExact(g: GraphBuilder, x: string): string {
  // com.microsoft Gelu is the erf form and is one fused kernel on CPU and CUDA.
  return g.op('Gelu', [x], {}, 'com.microsoft');
}

/** Plain float constant of the graph's float type, for scalars such as layer-scale vectors. */
export function floatInit(
  g: GraphBuilder,
  name: string,
  data: Float32Array,
  dims: number[],
  precision: Precision,
): string {
  return g.initializer(name, { type: floatType(precision), dims, data });
}

export { attr };
