import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { f16ToF32, f32ToF16 } from '@internvl/float-formats';
import { attr, GraphBuilder, saveModel, serializeModel } from '@internvl/onnx';
import { createSession } from './create-session';
import { matmul, maxAbsDiff, randomValues } from './testing/spec-helpers';
import { float32Tensor, toFloat32 } from './tensors';

const dir = mkdtempSync(join(tmpdir(), 'ort-graph-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const K = 64;
const N = 48;
const w = randomValues(K * N, 1);
const bias = randomValues(N, 2);

/** x [batch, K] -> y = x·w + bias [batch, N], plus the same with float16 weights -> y16 (float16). */
function build(options?: ConstructorParameters<typeof GraphBuilder>[1]): GraphBuilder {
  const g = new GraphBuilder('matmul_add', options);
  const x = g.input('x', 'float32', ['batch', K]);
  const wName = g.initializer('w', { type: 'float32', dims: [K, N], data: w });
  const b = g.initializer('bias', { type: 'float32', dims: [N], data: bias });
  g.output(g.node('Add', [g.op('MatMul', [x, wName]), b], { outputs: ['y'] })[0], 'float32', ['batch', N]);
  const w16 = g.initializer('w16', { type: 'float16', dims: [K, N], data: w });
  const x16 = g.op('Cast', [x], { to: attr.int(10) }); // TensorProto.FLOAT16
  g.output(g.node('MatMul', [x16, w16], { outputs: ['y16'] })[0], 'float16', ['batch', N]);
  return g;
}

function reference(x: Float32Array, M: number): { y: Float64Array; y16: Float64Array } {
  const y = matmul(x, w, M, K, N);
  for (let i = 0; i < y.length; i++) y[i] += bias[i % N];
  const x16 = f16ToF32(f32ToF16(x));
  return { y, y16: matmul(x16, f16ToF32(f32ToF16(w)), M, K, N) };
}

async function check(model: string | Uint8Array): Promise<void> {
  const { session, provider } = await createSession(model, { provider: 'cpu', intraOpNumThreads: 1 });
  assert.equal(provider, 'cpu');
  const M = 3;
  const x = randomValues(M * K, 3);
  const out = await session.run({ x: float32Tensor(x, [M, K]) });
  const ref = reference(x, M);
  assert.deepEqual(out.y.dims, [M, N]);
  assert.ok(maxAbsDiff(toFloat32(out.y), ref.y) < 1e-5);
  assert.equal(out.y16.type, 'float16');
  // float16 output: products of halves summed over K=64 with |values| < 1 -> well under 1e-2.
  assert.ok(maxAbsDiff(toFloat32(out.y16), ref.y16) < 1e-2);
  await session.release();
}

test('a MatMul+Add graph serialized inline computes what a JS loop computes', async () => {
  await check(serializeModel(build()));
});

test('the same graph saved with external data loads from its path', async () => {
  const path = join(dir, 'external.onnx');
  const saved = saveModel(build(), path, { metadata: { purpose: 'test' } });
  assert.ok(saved.dataBytes > K * N * 4, 'weights went to the data file');
  await check(path);
});

test('a streaming builder (weights written as added) produces a loadable model', async () => {
  const path = join(dir, 'streamed.onnx');
  saveModel(build({ dataFile: join(dir, 'streamed.partial') }), path);
  await check(path);
});
