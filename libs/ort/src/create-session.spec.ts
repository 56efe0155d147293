import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FailedPreconditionError } from '@internvl/errors';
import { GraphBuilder, serializeModel } from '@internvl/onnx';
import { createSession } from './create-session';
import { float32Tensor, toFloat32 } from './tensors';

function reluModel(): Uint8Array {
  // x [n] -> Relu -> y [n]
  const g = new GraphBuilder('relu');
  const x = g.input('x', 'float32', ['n']);
  g.node('Relu', [x], { outputs: ['y'] });
  g.output('y', 'float32', ['n']);
  return serializeModel(g);
}

test('CPU sessions run with the configured threads and spinning options', async () => {
  for (const allowSpinning of [false, true]) {
    const { session, provider } = await createSession(reluModel(), {
      provider: 'cpu',
      intraOpNumThreads: 2,
      allowSpinning,
    });
    assert.equal(provider, 'cpu');
    const out = await session.run({ x: float32Tensor([-1, 2], [2]) });
    assert.deepEqual(Array.from(toFloat32(out.y)), [0, 2]);
    await session.release();
  }
});

test('asking for CUDA without the CUDA provider installed falls back to CPU with a warning', async (t) => {
  const logs: string[] = [];
  const { session, provider } = await createSession(reluModel(), {
    provider: 'cuda',
    log: (m) => logs.push(m),
  });
  await session.release();
  if (provider === 'cuda') {
    t.skip('the CUDA execution provider is installed here');
    return;
  }
  assert.equal(provider, 'cpu');
  assert.equal(logs.length, 1);
  assert.match(logs[0], /falling back to CPU/);
  assert.match(logs[0], /ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci/);
});

test('requireGpu turns the missing CUDA provider into FailedPreconditionError', async (t) => {
  let error: unknown;
  try {
    const { session } = await createSession(reluModel(), { provider: 'cuda', requireGpu: true });
    await session.release();
    t.skip('the CUDA execution provider is installed here');
    return;
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof FailedPreconditionError);
  assert.match(error.message, /ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci/);
});

test('a model ORT rejects is a FailedPreconditionError naming the file', async () => {
  await assert.rejects(
    createSession('/nonexistent/model.onnx', { provider: 'cpu' }),
    (err: unknown) =>
      err instanceof FailedPreconditionError && err.message.includes('/nonexistent/model.onnx'),
  );
});
