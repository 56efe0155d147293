import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attr, GraphBuilder, serializeModel } from '@internvl/onnx';
import { createSession } from './create-session';
import { maxAbsDiff, randomValues } from './testing/spec-helpers';
import { float32Tensor, toFloat32 } from './tensors';

const ROWS = 6;
const H = 32;
const EPS = 1e-5;
const gamma = randomValues(H, 5);

/** y = x / sqrt(mean(x²) + eps) · gamma over the last axis. */
function rmsNorm(x: ArrayLike<number>): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / H; r++) {
    let ss = 0;
    for (let i = 0; i < H; i++) ss += x[r * H + i] ** 2;
    const inv = 1 / Math.sqrt(ss / H + EPS);
    for (let i = 0; i < H; i++) y[r * H + i] = x[r * H + i] * inv * gamma[i];
  }
  return y;
}

test('SimplifiedLayerNormalization (ONNX domain, contrib in ORT) is RMSNorm over the last axis', async () => {
  // x [2, 3, H] -> y [2, 3, H]
  const g = new GraphBuilder('rms');
  const x = g.input('x', 'float32', [2, 3, H]);
  const w = g.initializer('gamma', { type: 'float32', dims: [H], data: gamma });
  const [y] = g.node('SimplifiedLayerNormalization', [x, w], {
    attrs: { axis: attr.int(-1), epsilon: attr.float(EPS) },
    outputs: ['y'],
  });
  g.output(y, 'float32', [2, 3, H]);
  const { session } = await createSession(serializeModel(g), { provider: 'cpu', intraOpNumThreads: 1 });
  const input = randomValues(ROWS * H, 6);
  const out = await session.run({ x: float32Tensor(input, [2, 3, H]) });
  assert.ok(maxAbsDiff(toFloat32(out.y), rmsNorm(input)) < 1e-5);
  await session.release();
});

test('SkipSimplifiedLayerNormalization (com.microsoft) normalizes x + skip + bias and returns the sum as output 3', async () => {
  // input, skip [2, 3, H], gamma, bias [H] -> output [2, 3, H], (mean, inv_std_var omitted), input_skip_bias_sum
  const g = new GraphBuilder('skip_rms');
  const x = g.input('x', 'float32', [2, 3, H]);
  const skip = g.input('skip', 'float32', [2, 3, H]);
  const w = g.initializer('gamma', { type: 'float32', dims: [H], data: gamma });
  const bias = g.initializer('bias', { type: 'float32', dims: [H], data: randomValues(H, 9) });
  const [y, , , sum] = g.node('SkipSimplifiedLayerNormalization', [x, skip, w, bias], {
    domain: 'com.microsoft',
    attrs: { epsilon: attr.float(EPS) },
    outputs: ['y', '', '', 'residual'],
  });
  g.output(y, 'float32', [2, 3, H]);
  g.output(sum, 'float32', [2, 3, H]);
  const { session } = await createSession(serializeModel(g), { provider: 'cpu', intraOpNumThreads: 1 });
  const a = randomValues(ROWS * H, 7);
  const b = randomValues(ROWS * H, 8);
  const biasValues = randomValues(H, 9);
  const expectedSum = a.map((v, i) => v + b[i] + biasValues[i % H]);
  const out = await session.run({ x: float32Tensor(a, [2, 3, H]), skip: float32Tensor(b, [2, 3, H]) });
  assert.ok(maxAbsDiff(toFloat32(out.residual), expectedSum) < 1e-6);
  assert.ok(maxAbsDiff(toFloat32(out.y), rmsNorm(expectedSum)) < 1e-5);
  await session.release();
});

test('SkipSimplifiedLayerNormalization is not in the ONNX domain', async () => {
  const g = new GraphBuilder('wrong_domain');
  const x = g.input('x', 'float32', [1, H]);
  const w = g.initializer('gamma', { type: 'float32', dims: [H], data: gamma });
  g.output(g.op('SkipSimplifiedLayerNormalization', [x, x, w]), 'float32', [1, H]);
  await assert.rejects(createSession(serializeModel(g), { provider: 'cpu' }));
});
