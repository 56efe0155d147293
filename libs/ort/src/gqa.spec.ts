import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attr, GraphBuilder, ropeCosSinCache, serializeModel } from '@internvl/onnx';
import { createSession } from './create-session';
import { emptyKvTensor, gqaLengthInputs } from './gqa-inputs';
import type { OrtFeeds, OrtSession } from './ort-types';
import { maxAbsDiff, randomValues } from './spec-helpers';
import { float32Tensor, toFloat32 } from './tensors';

const NH = 4;
const KVH = 2;
const HS = 16;
const MAX = 16;
const { cos, sin } = ropeCosSinCache(MAX, HS);
const TOL = 1e-5;

/** One sequence's projected q [T, NH·HS], k and v [T, KVH·HS]. */
interface Seq {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
}

function randomSeq(T: number, seed: number): Seq {
  return {
    q: randomValues(T * NH * HS, seed),
    k: randomValues(T * KVH * HS, seed + 1),
    v: randomValues(T * KVH * HS, seed + 2),
  };
}

/** rotate_half RoPE of one head vector at an absolute position, from the same cos/sin tables. */
function rope(x: Float32Array, offset: number, pos: number): Float64Array {
  const half = HS / 2;
  const out = new Float64Array(HS);
  for (let i = 0; i < half; i++) {
    const c = cos[pos * half + i];
    const s = sin[pos * half + i];
    const x1 = x[offset + i];
    const x2 = x[offset + half + i];
    out[i] = x1 * c - x2 * s;
    out[half + i] = x2 * c + x1 * s;
  }
  return out;
}

/** Plain causal attention with grouped KV heads; returns every token's output [T, NH·HS]. */
function referenceAttention(seq: Seq, T: number): Float64Array {
  const out = new Float64Array(T * NH * HS);
  const keys = Array.from({ length: KVH }, (_, h) =>
    Array.from({ length: T }, (_, t) => rope(seq.k, (t * KVH + h) * HS, t)),
  );
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < NH; h++) {
      const kvh = Math.floor(h / (NH / KVH));
      const q = rope(seq.q, (t * NH + h) * HS, t);
      const scores = keys[kvh]
        .slice(0, t + 1)
        .map((k) => q.reduce((a, qi, i) => a + qi * k[i], 0) / Math.sqrt(HS));
      const top = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - top));
      const sum = e.reduce((a, b) => a + b, 0);
      for (let i = 0; i < HS; i++) {
        let acc = 0;
        for (let u = 0; u <= t; u++) acc += (e[u] / sum) * seq.v[(u * KVH + kvh) * HS + i];
        out[(t * NH + h) * HS + i] = acc;
      }
    }
  }
  return out;
}

/** GroupQueryAttention with do_rotary; separate q/k/v inputs, or one packed `query` with key/value omitted. */
async function gqaSession(packed: boolean): Promise<OrtSession> {
  const g = new GraphBuilder('gqa');
  const qkv = packed
    ? [g.input('query', 'float32', ['B', 'S', (NH + 2 * KVH) * HS]), '', '']
    : [
        g.input('query', 'float32', ['B', 'S', NH * HS]),
        g.input('key', 'float32', ['B', 'S', KVH * HS]),
        g.input('value', 'float32', ['B', 'S', KVH * HS]),
      ];
  const inputs = [
    ...qkv,
    g.input('past_key', 'float32', ['B', KVH, 'P', HS]),
    g.input('past_value', 'float32', ['B', KVH, 'P', HS]),
    g.input('seqlens_k', 'int32', ['B']),
    g.input('total_sequence_length', 'int32', []),
    g.initializer('cos_cache', { type: 'float32', dims: [MAX, HS / 2], data: cos }),
    g.initializer('sin_cache', { type: 'float32', dims: [MAX, HS / 2], data: sin }),
  ];
  const outs = g.node('GroupQueryAttention', inputs, {
    domain: 'com.microsoft',
    outputs: ['output', 'present_key', 'present_value'],
    attrs: { num_heads: attr.int(NH), kv_num_heads: attr.int(KVH), do_rotary: attr.int(1) },
  });
  g.output(outs[0], 'float32', ['B', 'S', NH * HS]);
  g.output(outs[1], 'float32', ['B', KVH, 'T', HS]);
  g.output(outs[2], 'float32', ['B', KVH, 'T', HS]);
  return (await createSession(serializeModel(g), { provider: 'cpu', intraOpNumThreads: 1 })).session;
}

/** q/k/v feeds for tokens [t0, t1) of each sequence, stacked along the batch. */
function tokenFeeds(seqs: Seq[], t0: number[], t1: number[], packed: boolean): OrtFeeds {
  const S = t1[0] - t0[0];
  const take = (a: Float32Array, w: number, b: number) => a.subarray(t0[b] * w, t1[b] * w);
  if (packed) {
    const W = (NH + 2 * KVH) * HS;
    const data = new Float32Array(seqs.length * S * W);
    seqs.forEach((s, b) => {
      for (let i = 0; i < S; i++) {
        const row = (b * S + i) * W;
        const t = t0[b] + i;
        data.set(s.q.subarray(t * NH * HS, (t + 1) * NH * HS), row);
        data.set(s.k.subarray(t * KVH * HS, (t + 1) * KVH * HS), row + NH * HS);
        data.set(s.v.subarray(t * KVH * HS, (t + 1) * KVH * HS), row + (NH + KVH) * HS);
      }
    });
    return { query: float32Tensor(data, [seqs.length, S, W]) };
  }
  const stack = (pick: (s: Seq) => Float32Array, w: number) => {
    const data = new Float32Array(seqs.length * S * w);
    seqs.forEach((s, b) => data.set(take(pick(s), w, b), b * S * w));
    return float32Tensor(data, [seqs.length, S, w]);
  };
  return {
    query: stack((s) => s.q, NH * HS),
    key: stack((s) => s.k, KVH * HS),
    value: stack((s) => s.v, KVH * HS),
  };
}

for (const packed of [false, true]) {
  test(`prefill 5 tokens then decode 1 with present fed back equals causal RoPE attention (${packed ? 'packed' : 'separate'} qkv)`, async () => {
    const session = await gqaSession(packed);
    const seqs = [randomSeq(6, 1), randomSeq(6, 100)];
    const ref = seqs.map((s) => referenceAttention(s, 6));
    const prefill = await session.run({
      ...tokenFeeds(seqs, [0, 0], [5, 5], packed),
      past_key: emptyKvTensor(2, KVH, 0, HS),
      past_value: emptyKvTensor(2, KVH, 0, HS),
      ...gqaLengthInputs([5, 5]),
    });
    assert.deepEqual(prefill.present_key.dims, [2, KVH, 5, HS]);
    const out1 = toFloat32(prefill.output);
    seqs.forEach((_, b) => {
      const got = out1.subarray(b * 5 * NH * HS, (b + 1) * 5 * NH * HS);
      assert.ok(maxAbsDiff(got, ref[b].subarray(0, 5 * NH * HS)) < TOL);
    });
    // present keys are stored after RoPE.
    const pk = toFloat32(prefill.present_key);
    const k0 = rope(seqs[0].k, (3 * KVH + 1) * HS, 3); // batch 0, kv head 1, position 3
    assert.ok(maxAbsDiff(pk.subarray(((0 * KVH + 1) * 5 + 3) * HS, ((0 * KVH + 1) * 5 + 4) * HS), k0) < TOL);

    const decode = await session.run({
      ...tokenFeeds(seqs, [5, 5], [6, 6], packed),
      past_key: prefill.present_key,
      past_value: prefill.present_value,
      ...gqaLengthInputs([6, 6]),
    });
    assert.deepEqual(decode.present_key.dims, [2, KVH, 6, HS]);
    const out2 = toFloat32(decode.output);
    seqs.forEach((_, b) => {
      const got = out2.subarray(b * NH * HS, (b + 1) * NH * HS);
      assert.ok(maxAbsDiff(got, ref[b].subarray(5 * NH * HS)) < TOL);
    });
    await session.release();
  });
}

test('max-length KV buffers: chunked prefill and a ragged two-row decode use per-row positions from seqlens_k', async () => {
  const session = await gqaSession(false);
  const seqs = [randomSeq(6, 7), randomSeq(4, 70)];
  const ref = seqs.map((s, b) => referenceAttention(s, [6, 4][b]));
  const keys = new Float32Array(2 * KVH * MAX * HS);
  const values = new Float32Array(2 * KVH * MAX * HS);
  const rowSize = KVH * MAX * HS;
  // Row 0: 3 + 2 tokens (chunked prefill on top of a past); row 1: 3 tokens.
  const chunks: [number, number, number][] = [
    [0, 0, 3],
    [0, 3, 5],
    [1, 0, 3],
  ];
  for (const [b, t0, t1] of chunks) {
    const out = await session.run({
      ...tokenFeeds([seqs[b]], [t0], [t1], false),
      past_key: float32Tensor(keys.slice(b * rowSize, (b + 1) * rowSize), [1, KVH, MAX, HS]),
      past_value: float32Tensor(values.slice(b * rowSize, (b + 1) * rowSize), [1, KVH, MAX, HS]),
      ...gqaLengthInputs([t1]),
    });
    assert.deepEqual(out.present_key.dims, [1, KVH, MAX, HS]);
    keys.set(toFloat32(out.present_key), b * rowSize);
    values.set(toFloat32(out.present_value), b * rowSize);
    assert.ok(maxAbsDiff(toFloat32(out.output), ref[b].subarray(t0 * NH * HS, t1 * NH * HS)) < TOL);
  }
  // One decode step for both rows: row 0 at position 5, row 1 at position 3.
  const step = await session.run({
    ...tokenFeeds(seqs, [5, 3], [6, 4], false),
    past_key: float32Tensor(keys, [2, KVH, MAX, HS]),
    past_value: float32Tensor(values, [2, KVH, MAX, HS]),
    ...gqaLengthInputs([6, 4]),
  });
  const out = toFloat32(step.output);
  assert.ok(maxAbsDiff(out.subarray(0, NH * HS), ref[0].subarray(5 * NH * HS)) < TOL);
  assert.ok(maxAbsDiff(out.subarray(NH * HS), ref[1].subarray(3 * NH * HS)) < TOL);
  await session.release();
});
