import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  dequantizeMatMulNBits,
  GraphBuilder,
  matMulNBitsNode,
  quantizeMatMulNBits,
  serializeModel,
} from '@internvl/onnx';
import { createSession } from './create-session';
import { matmul, maxAbs, randomValues } from './testing/spec-helpers';
import { float32Tensor, toFloat32 } from './tensors';

const K = 64;
const N = 48;
const M = 5;
const BLOCK = 32;
const w = randomValues(K * N, 11);
const x = randomValues(M * K, 12);
const q = quantizeMatMulNBits(w, K, N, BLOCK);
const nBlocks = K / BLOCK;

async function runNBits(accuracyLevel: number): Promise<Float32Array> {
  // x [M, K] -> MatMulNBits(W as 4-bit blocks) -> y [M, N]
  const g = new GraphBuilder('nbits');
  const input = g.input('x', 'float32', ['m', K]);
  const y = matMulNBitsNode(g, input, 'w', K, N, { weight: q, blockSize: BLOCK, accuracyLevel });
  g.output(y, 'float32', ['m', N]);
  const { session } = await createSession(serializeModel(g), { provider: 'cpu', intraOpNumThreads: 1 });
  const out = await session.run({ x: float32Tensor(x, [M, K]) });
  await session.release();
  return toFloat32(out[y]);
}

/**
 * Bound on |Σ_k x_k (ŵ_k − w_k)|: each 4-bit weight is within half a step (scale/2) of w, so the
 * output moves by at most Σ_k |x_k| · scale(k, n) / 2.
 */
function int4Bound(m: number, n: number): number {
  let s = 0;
  for (let k = 0; k < K; k++)
    s += (Math.abs(x[m * K + k]) * q.scales[n * nBlocks + Math.floor(k / BLOCK)]) / 2;
  return s;
}

/**
 * Bound for accuracy_level 4, where ORT also quantizes activations to int8 per K-block
 * (step max|x_block|/127): Σ_k (step_k / 2) · |ŵ_k|.
 */
function int8ActivationBound(m: number, n: number, wq: Float32Array): number {
  let s = 0;
  for (let b = 0; b < nBlocks; b++) {
    let amax = 0;
    for (let k = b * BLOCK; k < (b + 1) * BLOCK; k++) amax = Math.max(amax, Math.abs(x[m * K + k]));
    for (let k = b * BLOCK; k < (b + 1) * BLOCK; k++) s += (amax / 127 / 2) * Math.abs(wq[k * N + n]);
  }
  return s;
}

test('MatMulNBits (accuracy_level 0) equals x · dequantize(W) within 1e-4 relative', async () => {
  const y = await runNBits(0);
  const ref = matmul(x, dequantizeMatMulNBits(q, K, N, BLOCK), M, K, N);
  const scale = maxAbs(ref);
  for (let i = 0; i < y.length; i++) assert.ok(Math.abs(y[i] - ref[i]) <= 1e-4 * scale, `y[${i}]`);
});

test('MatMulNBits stays within the int4 quantization bound of the float32 MatMul', async () => {
  const y = await runNBits(0);
  const exact = matmul(x, w, M, K, N);
  let worstRatio = 0;
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      const err = Math.abs(y[m * N + n] - exact[m * N + n]);
      const bound = int4Bound(m, n) + 1e-5;
      assert.ok(err <= bound, `y[${m},${n}]: error ${err} > bound ${bound}`);
      worstRatio = Math.max(worstRatio, err / bound);
    }
  assert.ok(worstRatio > 0, 'quantization changed something');
});

test('accuracy_level 4 (int8 activations) runs and stays within the activation-quantization bound', async () => {
  const y = await runNBits(4);
  const wq = dequantizeMatMulNBits(q, K, N, BLOCK);
  const ref = matmul(x, wq, M, K, N);
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      const err = Math.abs(y[m * N + n] - ref[m * N + n]);
      const bound = int8ActivationBound(m, n, wq) + 1e-4;
      assert.ok(err <= bound, `y[${m},${n}]: error ${err} > bound ${bound}`);
    }
});
