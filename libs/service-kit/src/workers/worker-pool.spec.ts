import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { domainErrorFromKind, InvalidArgumentError } from '@internvl/errors';
import { WorkerPool } from './worker-pool';

// A worker that sleeps `ms` then echoes, or fails with a typed error when asked.
const dir = mkdtempSync(join(tmpdir(), 'worker-pool-'));
const script = join(dir, 'echo-worker.js');
writeFileSync(
  script,
  `const { serveWorkerJobs } = require(${JSON.stringify(join(__dirname, 'serve-worker-jobs.js'))});
   const { InvalidArgumentError } = require(${JSON.stringify(require.resolve('@internvl/errors'))});
   serveWorkerJobs((input) => {
     const until = Date.now() + input.ms; while (Date.now() < until) {}
     if (input.fail) throw new InvalidArgumentError('bad input ' + input.value);
     const out = new Float32Array([input.value]);
     return { output: { value: input.value * 2, out }, transfer: [out.buffer] };
   });`,
);

const pool = new WorkerPool<
  { value: number; ms: number; fail?: boolean },
  { value: number; out: Float32Array }
>({
  script,
  size: 1,
  maxQueue: 2,
  queueLimitHint: '--max-queue',
  reviveError: (e) => domainErrorFromKind(e.kind, e.message),
});
after(() => pool.close());

test('jobs run in order on the worker and results come back (transferred buffers intact)', async () => {
  const results = await Promise.all([1, 2].map((value) => pool.run({ value, ms: 10 })));
  assert.deepEqual(
    results.map((r) => r.value),
    [2, 4],
  );
  assert.equal(results[1]!.out[0], 2);
});

test('a typed error thrown in the worker comes back as the same typed error', async () => {
  await assert.rejects(
    pool.run({ value: 7, ms: 0, fail: true }),
    (err: unknown) => err instanceof InvalidArgumentError && /bad input 7/.test(err.message),
  );
});

test('a job cancelled while queued leaves the queue at once; a full queue is refused with the limit', async () => {
  const running = pool.run({ value: 1, ms: 300 });
  const controller = new AbortController();
  const queued = pool.run({ value: 2, ms: 0 }, [], controller.signal);
  const alsoQueued = pool.run({ value: 3, ms: 0 });
  await assert.rejects(
    pool.run({ value: 4, ms: 0 }),
    /2 jobs are already waiting, the queue limit is 2.*--max-queue/,
  );
  assert.equal(pool.queued, 2);
  controller.abort();
  await assert.rejects(queued, /cancelled/);
  assert.equal(pool.queued, 1);
  assert.equal((await running).value, 2);
  assert.equal((await alsoQueued).value, 6);
});
