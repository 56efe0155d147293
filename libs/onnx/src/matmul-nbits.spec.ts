import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from '@internvl/errors';
import { GraphBuilder } from './graph-builder';
import { dequantizeMatMulNBits, matMulNBitsNode, quantizeMatMulNBits } from './matmul-nbits';

function randomWeights(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2;
  });
}

test('layout: [N][block][blockSize/2] with the low nibble first, zero points two blocks per byte', () => {
  const K = 32;
  const N = 2;
  // Column 0 holds k/2 (0 … 15.5); column 1 holds -k/2 (-15.5 … 0).
  const w = new Float32Array(K * N);
  for (let k = 0; k < K; k++) {
    w[k * N] = k / 2;
    w[k * N + 1] = -k / 2;
  }
  const q = quantizeMatMulNBits(w, K, N, 16);
  assert.equal(q.packed.length, N * 2 * 8);
  assert.equal(q.scales.length, N * 2);
  assert.equal(q.zeroPoints.length, N * 1);
  // Block 0 of column 0 spans [0, 7.5]: min is 0 so zp = 0, scale = 0.5, q = k.
  assert.equal(q.scales[0], 0.5);
  assert.equal(q.packed[0], 0x10); // k=0 -> 0 (low), k=1 -> 1 (high)
  assert.equal(q.packed[1], 0x32);
  // Column 1, block 0 spans [-7.5, 0]: zp = 15, so k=0 -> 15 and k=1 -> 14.
  assert.equal(q.packed[2 * 8], 0xef);
  assert.equal(q.zeroPoints[1] & 0x0f, 15);
  assert.equal(q.zeroPoints[1] >> 4, 15);
  assert.equal(q.zeroPoints[0], 0x00);
});

test('dequantized weights are within half a quantization step of the original', () => {
  const K = 100; // not a multiple of the block size: the last block is padded
  const N = 7;
  const w = randomWeights(K * N, 3);
  const q = quantizeMatMulNBits(w, K, N, 32);
  const nBlocks = Math.ceil(K / 32);
  assert.equal(q.packed.length, N * nBlocks * 16);
  assert.equal(q.zeroPoints.length, N * 2);
  const d = dequantizeMatMulNBits(q, K, N, 32);
  for (let k = 0; k < K; k++) {
    for (let n = 0; n < N; n++) {
      const scale = q.scales[n * nBlocks + Math.floor(k / 32)];
      assert.ok(Math.abs(d[k * N + n] - w[k * N + n]) <= scale / 2 + 1e-6, `k=${k} n=${n}`);
    }
  }
});

test('a constant-zero block gets scale 0 and dequantizes to zeros', () => {
  const q = quantizeMatMulNBits(new Float32Array(32 * 3), 32, 3);
  assert.deepEqual(Array.from(q.scales), [0, 0, 0]);
  assert.deepEqual(Array.from(dequantizeMatMulNBits(q, 32, 3)), new Array(96).fill(0));
});

test('bad shapes and block sizes are rejected', () => {
  assert.throws(() => quantizeMatMulNBits(new Float32Array(10), 5, 3), InvalidArgumentError);
  assert.throws(() => quantizeMatMulNBits(new Float32Array(48), 16, 3, 24), InvalidArgumentError);
  assert.throws(() => quantizeMatMulNBits(new Float32Array(24), 8, 3, 8), InvalidArgumentError);
});

test('matMulNBitsNode adds the three initializers and a com.microsoft node with the attributes', () => {
  const g = new GraphBuilder('q');
  const x = g.input('x', 'float32', [1, 64]);
  const y = matMulNBitsNode(g, x, 'proj', 64, 8, { weight: randomWeights(64 * 8, 1), accuracyLevel: 4 });
  assert.deepEqual(
    g.initializers.map((i) => [i.name, i.type, i.dims]),
    [
      ['proj_Q4', 'uint8', [8, 2, 16]],
      ['proj_scales', 'float32', [16]],
      ['proj_zp', 'uint8', [8]],
    ],
  );
  const node = g.nodes[0];
  assert.equal(node.opType, 'MatMulNBits');
  assert.equal(node.domain, 'com.microsoft');
  assert.deepEqual(node.outputs, [y]);
  assert.deepEqual(
    node.attrs.map(([k, v]) => [k, v.value]),
    [
      ['K', 64],
      ['N', 8],
      ['bits', 4],
      ['block_size', 32],
      ['accuracy_level', 4],
    ],
  );
});
