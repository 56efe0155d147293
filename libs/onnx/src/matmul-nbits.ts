import { InvalidArgumentError } from '@internvl/errors';
import { attr } from './attr';
import type { GraphBuilder } from './graph-builder';

/**
 * 4-bit blockwise weights in the layout com.microsoft MatMulNBits (bits=4) reads. Blocks run along
 * K within each output column n; two values per byte, low nibble first.
 */
export interface MatMulNBitsWeights {
  /** `[N, ceil(K/blockSize), blockSize/2]` quantized values. */
  packed: Uint8Array;
  /** `[N * ceil(K/blockSize)]` scale per block (row-major over n, then block). */
  scales: Float32Array;
  /** `[N * ceil(nBlocks/2)]` 4-bit zero points, two blocks per byte, low nibble first. */
  zeroPoints: Uint8Array;
}

function checkShape(K: number, N: number, blockSize: number, length?: number): number {
  if (!Number.isInteger(blockSize) || blockSize < 16 || (blockSize & (blockSize - 1)) !== 0) {
    throw new InvalidArgumentError(`MatMulNBits block size must be a power of two >= 16, got ${blockSize}`);
  }
  if (!(K > 0 && N > 0 && Number.isInteger(K) && Number.isInteger(N))) {
    throw new InvalidArgumentError(`MatMulNBits needs positive integer K and N, got K=${K} N=${N}`);
  }
  if (length !== undefined && length !== K * N) {
    throw new InvalidArgumentError(`weight has ${length} values, expected K*N = ${K}*${N}`);
  }
  return Math.ceil(K / blockSize);
}

/** C `roundf`: halves round away from zero (JS Math.round rounds them up). */
function roundf(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * Quantizes a MatMul weight `W [K, N]` (row-major, y = x·W) to asymmetric 4-bit blocks the way
 * onnxruntime's MatMulNBitsQuantizer does (MLAS `range2scalezp`): per block, the range is widened
 * to include 0, `scale = (max - min) / 15`, `zp = round(-min / scale)`,
 * `q = clamp(round(v / scale + zp), 0, 15)`, and `v ≈ (q - zp) · scale`. Float32 arithmetic is
 * mirrored with Math.fround so the result matches ORT's own quantizer.
 */
export function quantizeMatMulNBits(
  weight: Float32Array,
  K: number,
  N: number,
  blockSize = 32,
): MatMulNBitsWeights {
  const nBlocks = checkShape(K, N, blockSize, weight.length);
  const blob = blockSize / 2;
  const zpPerN = Math.ceil(nBlocks / 2);
  const packed = new Uint8Array(N * nBlocks * blob);
  const scales = new Float32Array(N * nBlocks);
  const zeroPoints = new Uint8Array(N * zpPerN).fill(0x88); // unused odd nibble stays 8, as in ORT
  const lo = new Float32Array(N);
  const hi = new Float32Array(N);
  const recip = new Float32Array(N);
  const zps = new Uint8Array(N);
  // Walk each block row by row so reads of W stay contiguous.
  for (let b = 0; b < nBlocks; b++) {
    const k0 = b * blockSize;
    const k1 = Math.min(k0 + blockSize, K);
    lo.fill(0);
    hi.fill(0);
    for (let k = k0; k < k1; k++) {
      const row = k * N;
      for (let n = 0; n < N; n++) {
        const v = weight[row + n];
        if (v < lo[n]) lo[n] = v;
        if (v > hi[n]) hi[n] = v;
      }
    }
    for (let n = 0; n < N; n++) {
      const scale = Math.fround((hi[n] - lo[n]) / 15);
      const zpf = scale !== 0 ? Math.fround(-Math.fround(lo[n] / scale)) : lo[n];
      const zp = zpf < 0 ? 0 : zpf > 15 ? 15 : roundf(zpf);
      scales[n * nBlocks + b] = scale;
      recip[n] = scale !== 0 ? Math.fround(1 / scale) : 0;
      zps[n] = zp;
      const z = n * zpPerN + (b >> 1);
      zeroPoints[z] = (b & 1) === 0 ? (zeroPoints[z] & 0xf0) | zp : (zeroPoints[z] & 0x0f) | (zp << 4);
    }
    for (let k = k0; k < k0 + blockSize; k++) {
      const j = k - k0;
      const shift = (j & 1) * 4;
      for (let n = 0; n < N; n++) {
        // Padding past K quantizes to the zero point, i.e. dequantizes to exactly 0.
        let q = zps[n];
        if (k < k1) {
          const v = weight[k * N + n];
          q = Math.min(15, Math.max(0, roundf(Math.fround(Math.fround(v * recip[n]) + q))));
        }
        packed[(n * nBlocks + b) * blob + (j >> 1)] |= q << shift;
      }
    }
  }
  return { packed, scales, zeroPoints };
}

/** Reconstructs `W [K, N]` from 4-bit blocks: `(q - zp) · scale` (the reference MatMulNBits computes against). */
export function dequantizeMatMulNBits(
  q: MatMulNBitsWeights,
  K: number,
  N: number,
  blockSize = 32,
): Float32Array {
  const nBlocks = checkShape(K, N, blockSize);
  const blob = blockSize / 2;
  const zpPerN = Math.ceil(nBlocks / 2);
  const out = new Float32Array(K * N);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const b = Math.floor(k / blockSize);
      const j = k - b * blockSize;
      const byte = q.packed[(n * nBlocks + b) * blob + (j >> 1)];
      const v = (j & 1) === 0 ? byte & 0xf : byte >> 4;
      const zByte = q.zeroPoints[n * zpPerN + (b >> 1)];
      const zp = (b & 1) === 0 ? zByte & 0xf : zByte >> 4;
      out[k * N + n] = (v - zp) * q.scales[n * nBlocks + b];
    }
  }
  return out;
}

/** Options for {@link matMulNBitsNode}. */
export interface MatMulNBitsNodeOptions {
  /** `W [K, N]` float32 (quantized here) or weights already quantized with the same block size. */
  weight: Float32Array | MatMulNBitsWeights;
  /** Elements per quantization block along K (power of two >= 16; default 32). */
  blockSize?: number;
  /**
   * Minimum compute precision ORT may use: 0/1 = fp32, 4 = int8 activations with int32
   * accumulation (the fast CPU path), 2 = fp16, 3 = bf16.
   */
  accuracyLevel?: number;
  /** Scale type; must equal the activation type (float16 for fp16 graphs). Default float32. */
  scaleType?: 'float32' | 'float16';
  /** Optional bias value `[N]` added in the same kernel. */
  bias?: string;
}

/**
 * Adds `y = input · W` as a com.microsoft MatMulNBits node (bits=4) plus its three initializers
 * `<weightName>_Q4`, `<weightName>_scales`, `<weightName>_zp`, and returns the output name.
 */
export function matMulNBitsNode(
  builder: GraphBuilder,
  input: string,
  weightName: string,
  K: number,
  N: number,
  options: MatMulNBitsNodeOptions,
): string {
  const blockSize = options.blockSize ?? 32;
  const nBlocks = checkShape(K, N, blockSize);
  const q =
    options.weight instanceof Float32Array
      ? quantizeMatMulNBits(options.weight, K, N, blockSize)
      : options.weight;
  if (q.packed.length !== N * nBlocks * (blockSize / 2) || q.scales.length !== N * nBlocks) {
    throw new InvalidArgumentError(
      `quantized weight '${weightName}' does not match K=${K} N=${N} block ${blockSize}`,
    );
  }
  const b = builder.initializer(`${weightName}_Q4`, {
    type: 'uint8',
    dims: [N, nBlocks, blockSize / 2],
    data: q.packed,
  });
  const scales = builder.initializer(`${weightName}_scales`, {
    type: options.scaleType ?? 'float32',
    dims: [N * nBlocks],
    data: q.scales,
  });
  const zp = builder.initializer(`${weightName}_zp`, {
    type: 'uint8',
    dims: [q.zeroPoints.length],
    data: q.zeroPoints,
  });
  const inputs = options.bias ? [input, b, scales, zp, '', options.bias] : [input, b, scales, zp];
  return builder.node('MatMulNBits', inputs, {
    domain: 'com.microsoft',
    name: weightName,
    attrs: {
      K: attr.int(K),
      N: attr.int(N),
      bits: attr.int(4),
      block_size: attr.int(blockSize),
      accuracy_level: attr.int(options.accuracyLevel ?? 0),
    },
  })[0];
}
