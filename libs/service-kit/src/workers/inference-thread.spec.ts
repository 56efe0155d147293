import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { test } from 'node:test';
import { InternalError, InvalidArgumentError } from '@internvl/errors';
import { InferenceThread } from './inference-thread';
import type { EchoRequest } from './testing/echo-thread';

const SCRIPT = join(__dirname, 'testing', 'echo-thread.js');

function echoThread(workerData: unknown = {}) {
  const events: string[] = [];
  const thread = new InferenceThread<EchoRequest, Float32Array | number, { label: string }, number>({
    script: SCRIPT,
    workerData,
    name: 'test inference thread',
    warn: (m) => events.push(`warn ${m}`),
    onReady: (r) => events.push(`ready ${r.label}`),
    onNote: (n) => events.push(`note ${n}`),
    onLost: () => events.push('lost'),
  });
  return { thread, events };
}

test('results come back by id, moved buffers and all; typed errors stay typed', async () => {
  const { thread, events } = echoThread();
  await thread.start();
  assert.deepEqual(events, ['warn opened the test model', 'ready echo']);
  const [a, b] = await Promise.all([
    thread.call((id) => ({ type: 'echo', id, values: Float32Array.of(1, 2) })),
    thread.call((id) => ({ type: 'echo', id, values: Float32Array.of(5) })),
  ]);
  assert.deepEqual([...(a as Float32Array)], [2, 4]);
  assert.deepEqual([...(b as Float32Array)], [10]);
  await assert.rejects(
    thread.call((id) => ({ type: 'fail', id })),
    (e: Error) => e instanceof InvalidArgumentError && /the test request is bad/.test(e.message),
  );
  thread.post({ type: 'poke' });
  assert.equal(await thread.call((id) => ({ type: 'count', id })), 5);
  assert.ok(events.includes('note 4'));
  await thread.release();
  await assert.rejects(
    thread.call((id) => ({ type: 'count', id })),
    /was released/,
  );
});

test('a dead thread fails its pending calls, reports the loss, and the next call starts a fresh one', async () => {
  const { thread, events } = echoThread();
  await thread.start();
  await thread.call((id) => ({ type: 'count', id }));
  await assert.rejects(
    thread.call((id) => ({ type: 'crash', id })),
    (e: Error) => e instanceof InternalError && /test inference thread exited with code 3/.test(e.message),
  );
  assert.ok(events.includes('lost'));
  assert.equal(await thread.call((id) => ({ type: 'count', id })), 1, 'the new thread starts from scratch');
  await thread.release();
});

test('a model that cannot open fails start() with its typed error', async () => {
  const { thread } = echoThread({ failOpen: true });
  await assert.rejects(
    thread.start(),
    (e: Error) => e instanceof InvalidArgumentError && /cannot open/.test(e.message),
  );
});
