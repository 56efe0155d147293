import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { LlmConfig } from '@internvl/model-config';
import { createRng } from '@internvl/generation';
import { uniformArray } from './random-weights';
import { applyRope, dynamicNtkBase, longRopeMscale, ropeTables } from './rope';
import { tinyInternVLConfig } from './tiny-config';

const phi3 = (llm: Partial<LlmConfig> = {}) => tinyInternVLConfig('Phi3ForCausalLM', { llm }).llm;
const internlm2 = (llm: Partial<LlmConfig> = {}) => tinyInternVLConfig('InternLM2ForCausalLM', { llm }).llm;

/** q·k after rotating q to position m and k to position n (one head, one table for both). */
function score(llm: LlmConfig, q: Float32Array, k: Float32Array, m: number, n: number): number {
  const hd = llm.headDim;
  const tables = ropeTables(llm, [m, n]);
  const at = (row: number) => ({
    cos: tables.cos.subarray(row * hd, (row + 1) * hd),
    sin: tables.sin.subarray(row * hd, (row + 1) * hd),
  });
  const rq = applyRope(Float32Array.from(q), 1, 1, hd, at(0));
  const rk = applyRope(Float32Array.from(k), 1, 1, hd, at(1));
  let s = 0;
  for (let d = 0; d < hd; d++) s += rq[d] * rk[d];
  return s;
}

test('rotate_half layout: out[d] = x[d]·cos − x[d+half]·sin, out[d+half] = x[d+half]·cos + x[d]·sin', () => {
  const cos = new Float32Array([0.5, 0.25, 0.5, 0.25]);
  const sin = new Float32Array([0.75, 0.125, 0.75, 0.125]);
  const x = new Float32Array([1, 2, 3, 4]);
  applyRope(x, 1, 1, 4, { cos, sin });
  assert.deepEqual(
    [...x],
    [1 * 0.5 - 3 * 0.75, 2 * 0.25 - 4 * 0.125, 3 * 0.5 + 1 * 0.75, 4 * 0.25 + 2 * 0.125],
  );
});

test('short-factor path: q·k depends only on the relative position (and carries mscale²)', () => {
  const llm = phi3();
  const rand = createRng(7);
  const q = uniformArray(rand, llm.headDim, -1, 1);
  const k = uniformArray(rand, llm.headDim, -1, 1);
  const base = score(llm, q, k, 5, 2);
  for (const shift of [1, 100, 1000, 3990]) {
    const s = score(llm, q, k, 5 + shift, 2 + shift);
    assert.ok(Math.abs(s - base) < 2e-3 * Math.max(1, Math.abs(base)), `shift ${shift}: ${s} vs ${base}`);
  }
  assert.ok(Math.abs(score(llm, q, k, 5, 1) - base) > 1e-3, 'different offsets must give different scores');
  // At offset 0 the rotation cancels: score = mscale²·(q·k).
  let dot = 0;
  for (let d = 0; d < llm.headDim; d++) dot += q[d] * k[d];
  const m = longRopeMscale(131072, 4096);
  assert.ok(Math.abs(m - Math.sqrt(17 / 12)) < 1e-12);
  assert.ok(Math.abs(score(llm, q, k, 9, 9) - m * m * dot) < 1e-4);
});

test('su switch follows max(position_ids)+1 vs original_max_position_embeddings', () => {
  const llm = phi3({ originalMaxPositionEmbeddings: 8, maxPositionEmbeddings: 64 });
  if (llm.ropeScaling.type !== 'su') throw new Error('tiny Phi-3 config must use su');
  const { shortFactor, longFactor } = llm.ropeScaling;
  const expectInv = (factors: number[]) =>
    factors.map((f, k) => 1 / (f * Math.pow(llm.ropeTheta, (2 * k) / llm.headDim)));
  const closeTo = (a: Float32Array, b: number[]) =>
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= 1e-6 * b[i]));

  const short = ropeTables(llm, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(short.factors, 'short');
  closeTo(short.invFreq, expectInv(shortFactor));
  const long = ropeTables(llm, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(long.factors, 'long');
  closeTo(long.invFreq, expectInv(longFactor));
  // Position ids, not the token count, decide: two tokens at positions 0 and 8 use long.
  assert.equal(ropeTables(llm, [0, 8]).factors, 'long');
  assert.equal(ropeTables(llm, [7]).factors, 'short');

  // mscale = sqrt(1 + ln(64/8)/ln(8)) = sqrt(2), applied on both paths: cos(0)·mscale.
  for (const t of [short, long]) {
    assert.ok(Math.abs(t.mscale - Math.SQRT2) < 1e-12);
    for (let d = 0; d < llm.headDim; d++) {
      assert.equal(t.cos[d], Math.fround(Math.SQRT2));
      assert.equal(t.sin[d], 0);
    }
  }
  // Position 3 under the long factors: cos(3·inv_freq_k)·sqrt 2, duplicated in both halves.
  const half = llm.headDim / 2;
  for (let k = 0; k < half; k++) {
    const want = Math.cos(3 * long.invFreq[k]) * Math.SQRT2;
    assert.ok(Math.abs(long.cos[3 * llm.headDim + k] - want) < 1e-6);
    assert.equal(long.cos[3 * llm.headDim + k + half], long.cos[3 * llm.headDim + k]);
  }
});

test('mscale is 1 when max_position_embeddings does not exceed the original', () => {
  assert.equal(longRopeMscale(4096, 4096), 1);
  assert.equal(ropeTables(phi3({ maxPositionEmbeddings: 4096 }), [0, 1]).mscale, 1);
});

test('stated short/long mscale (PhiMoE-style configs) override the derived one', () => {
  const llm = phi3({ originalMaxPositionEmbeddings: 8 });
  if (llm.ropeScaling.type !== 'su') throw new Error('su expected');
  llm.ropeScaling = { ...llm.ropeScaling, shortMscale: 1.5, longMscale: 2.5 };
  assert.equal(ropeTables(llm, [0, 1]).mscale, 1.5);
  assert.equal(ropeTables(llm, [0, 9]).mscale, 2.5);
});

test('InternLM2 dynamic NTK rescales the base only when the sequence exceeds max_position_embeddings', () => {
  const llm = internlm2({ maxPositionEmbeddings: 16 });
  const hd = llm.headDim;
  const plain = ropeTables(
    llm,
    Array.from({ length: 16 }, (_, i) => i),
  );
  plain.invFreq.forEach((v, k) => assert.ok(Math.abs(v - Math.pow(1e6, -(2 * k) / hd)) <= 1e-6 * v));
  const T = 20;
  const base = 1e6 * Math.pow((2 * T) / 16 - 1, hd / (hd - 2));
  assert.equal(dynamicNtkBase(1e6, 2, T, 16, hd), base);
  const scaled = ropeTables(
    llm,
    Array.from({ length: T }, (_, i) => i),
  );
  scaled.invFreq.forEach((v, k) => assert.ok(Math.abs(v - Math.pow(base, -(2 * k) / hd)) <= 1e-6 * v));
  assert.equal(scaled.mscale, 1);
});

test('linear scaling divides positions by the factor', () => {
  const llm = internlm2({ ropeScaling: { type: 'linear', factor: 4 } });
  const t = ropeTables(llm, [0, 8]);
  const ref = ropeTables(internlm2({ ropeScaling: { type: 'none' } }), [0, 2]);
  assert.deepEqual([...t.cos], [...ref.cos]);
});

test('rope_scaling types foreign to the architecture are refused', () => {
  assert.throws(
    () => ropeTables(phi3({ ropeScaling: { type: 'dynamic', factor: 2 } }), [0]),
    /does not support/,
  );
  assert.throws(
    () => ropeTables(internlm2({ ropeScaling: { type: 'su', shortFactor: [], longFactor: [] } }), [0]),
    /does not support/,
  );
  assert.throws(
    () => ropeTables(phi3({ ropeScaling: { type: 'su', shortFactor: [1], longFactor: [1] } }), [0]),
    /entries/,
  );
});
