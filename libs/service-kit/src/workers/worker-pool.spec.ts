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

test('a worker over maxWorkerMemoryBytes after a job is replaced by a fresh one (issue #13)', async () => {
  // Each job keeps `keepMb` MiB alive in the worker and says how much it held before.
  const hoarder = join(dir, 'hoarder-worker.js');
  writeFileSync(
    hoarder,
    `const { serveWorkerJobs } = require(${JSON.stringify(join(__dirname, 'serve-worker-jobs.js'))});
     const kept = [];
     serveWorkerJobs((input) => {
       const before = kept.length;
       if (input.keepMb > 0) kept.push(Buffer.alloc(input.keepMb * 2 ** 20, 1));
       return { output: { before }, transfer: [] };
     });`,
  );
  const bounded = new WorkerPool<{ keepMb: number }, { before: number }>({
    script: hoarder,
    size: 1,
    maxQueue: 4,
    queueLimitHint: '--max-queue',
    reviveError: (e) => domainErrorFromKind(e.kind, e.message),
    maxWorkerMemoryBytes: 32 * 2 ** 20,
  });
  try {
    // Small jobs stay on the same worker: what it keeps accumulates.
    assert.equal((await bounded.run({ keepMb: 1 })).before, 0);
    assert.equal((await bounded.run({ keepMb: 1 })).before, 1);
    assert.equal(bounded.recycled, 0);
    // A job that leaves the worker over its bound still answers, then the worker is replaced.
    assert.equal((await bounded.run({ keepMb: 64 })).before, 2);
    assert.equal(bounded.recycled, 1);
    assert.equal((await bounded.run({ keepMb: 0 })).before, 0);
  } finally {
    await bounded.close();
  }
});
