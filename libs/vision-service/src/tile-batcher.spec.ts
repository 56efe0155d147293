import { strict as assert } from 'node:assert';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { CancelledError, InternalError } from '@internvl/errors';
import { TileBatcher, type TileBatcherOptions, type Timers, type TileSlice } from './tile-batcher';

/** A clock that moves only when told to. */
class ManualTimers implements Timers {
  private time = 0;
  private nextId = 1;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.pending.set(id, { at: this.time + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  advance(ms: number): void {
    this.time += ms;
    for (const [id, timer] of [...this.pending].sort((a, b) => a[1].at - b[1].at)) {
      if (timer.at > this.time) continue;
      this.pending.delete(id);
      timer.fn();
    }
  }
}

/** A model run the test finishes by hand; outputs name the payload and tile range. */
interface PendingRun {
  slices: Array<TileSlice<string>>;
  tiles: number;
  finish(): void;
  fail(err: Error): void;
}

function harness(options: Partial<TileBatcherOptions<string, string>> = {}) {
  const timers = new ManualTimers();
  const runs: PendingRun[] = [];
  const batcher = new TileBatcher<string, string>({
    maxBatchTiles: 4,
    maxWaitMs: 5,
    maxQueueTiles: 100,
    queueLimitHint: '--max-queue-tiles',
    timers,
    run: (slices, tiles) =>
      new Promise((resolve, reject) =>
        runs.push({
          slices: [...slices],
          tiles,
          finish: () => resolve(slices.map((s) => `${s.payload}[${s.start}:${s.start + s.count}]`)),
          fail: reject,
        }),
      ),
    ...options,
  });
  const batchOf = (run: PendingRun) => run.slices.map((s) => `${s.payload}:${s.count}`);
  return { timers, runs, batcher, batchOf };
}

describe('TileBatcher packs tiles of concurrent requests into runs', () => {
  test('a full batch starts at once; a partial one waits max_wait_ms for company', async () => {
    const { timers, runs, batcher, batchOf } = harness();
    const a = batcher.submit('a', 1);
    timers.advance(3);
    const b = batcher.submit('b', 1);
    assert.equal(runs.length, 0, 'nothing runs before max_wait_ms');
    timers.advance(1);
    assert.equal(runs.length, 0);
    timers.advance(1);
    assert.deepEqual(batchOf(runs[0]!), ['a:1', 'b:1'], 'the oldest request waited 5 ms; both go together');
    runs[0]!.finish();
    assert.deepEqual(await Promise.all([a, b]), [['a[0:1]'], ['b[0:1]']]);

    const c = batcher.submit('c', 2);
    const d = batcher.submit('d', 2);
    assert.deepEqual(batchOf(runs[1]!), ['c:2', 'd:2'], 'max_batch_tiles reached: no waiting');
    runs[1]!.finish();
    assert.deepEqual(await Promise.all([c, d]), [['c[0:2]'], ['d[0:2]']]);
    assert.deepEqual(batcher.stats, { runs: 2, tiles: 6, slices: 4, cancelled: 0 });
  });

  test('one run at a time: requests arriving during a run form the next batch', async () => {
    const { timers, runs, batcher, batchOf } = harness({ maxWaitMs: 0 });
    const a = batcher.submit('a', 1);
    assert.equal(runs.length, 1);
    const rest = ['b', 'c', 'd'].map((p) => batcher.submit(p, 1));
    timers.advance(100);
    assert.equal(runs.length, 1, 'no second run while one is in progress');
    assert.equal(batcher.queuedTiles, 3);
    runs[0]!.finish();
    await a;
    await tick();
    assert.deepEqual(batchOf(runs[1]!), ['b:1', 'c:1', 'd:1']);
    runs[1]!.finish();
    assert.deepEqual(await Promise.all(rest), [['b[0:1]'], ['c[0:1]'], ['d[0:1]']]);
  });

  test('requests are never split to fill a batch; later ones that fit go first-fit, the oldest always goes', async () => {
    const { runs, batcher, batchOf } = harness({ maxWaitMs: 0 });
    const x = batcher.submit('x', 1);
    // These queue up behind the run of x.
    const jobs = [batcher.submit('a', 3), batcher.submit('b', 3), batcher.submit('c', 1)];
    runs[0]!.finish();
    await x;
    await tick();
    assert.deepEqual(batchOf(runs[1]!), ['a:3', 'c:1']);
    runs[1]!.finish();
    await tick();
    assert.deepEqual(batchOf(runs[2]!), ['b:3']);
    runs[2]!.finish();
    assert.deepEqual(await Promise.all(jobs), [['a[0:3]'], ['b[0:3]'], ['c[0:1]']]);
  });

  test('a request larger than max_batch_tiles runs in chunks of max_batch_tiles, in order', async () => {
    const { runs, batcher, batchOf } = harness();
    const big = batcher.submit('big', 10);
    const small = batcher.submit('s', 2);
    assert.deepEqual(batchOf(runs[0]!), ['big:4']);
    runs[0]!.finish();
    await tick();
    assert.deepEqual(batchOf(runs[1]!), ['big:4']);
    runs[1]!.finish();
    await tick();
    assert.deepEqual(batchOf(runs[2]!), ['big:2', 's:2'], 'the last chunk fits with others');
    runs[2]!.finish();
    assert.deepEqual(await big, ['big[0:4]', 'big[4:8]', 'big[8:10]']);
    assert.deepEqual(await small, ['s[0:2]']);
  });
});

describe('TileBatcher keeps requests apart', () => {
  test('a request cancelled while queued leaves the queue and never runs', async () => {
    const { timers, runs, batcher, batchOf } = harness();
    const controller = new AbortController();
    const gone = batcher.submit('gone', 2, { signal: controller.signal });
    const kept = batcher.submit('kept', 1);
    assert.equal(batcher.queuedTiles, 3);
    controller.abort(new CancelledError('client went away'));
    await assert.rejects(gone, CancelledError);
    assert.equal(batcher.queuedTiles, 1);
    timers.advance(5);
    assert.deepEqual(batchOf(runs[0]!), ['kept:1']);
    runs[0]!.finish();
    assert.deepEqual(await kept, ['kept[0:1]']);
    assert.equal(runs.length, 1);
    assert.equal(batcher.stats.cancelled, 1);
  });

  test('cancelling the only queued request disarms its timer; an aborted signal is refused up front', async () => {
    const { timers, runs, batcher } = harness();
    const controller = new AbortController();
    const gone = batcher.submit('gone', 1, { signal: controller.signal });
    controller.abort();
    await assert.rejects(gone, /cancelled/);
    timers.advance(50);
    assert.equal(runs.length, 0);
    await assert.rejects(batcher.submit('late', 1, { signal: controller.signal }), /cancelled/);
    assert.equal(batcher.queuedRequests, 0);
  });

  test('a request cancelled during its run gets its cancellation; the others in the batch their results', async () => {
    const { runs, batcher } = harness();
    const controller = new AbortController();
    const gone = batcher.submit('gone', 2, { signal: controller.signal });
    const kept = batcher.submit('kept', 2);
    controller.abort();
    await assert.rejects(gone, /cancelled/);
    runs[0]!.finish();
    assert.deepEqual(await kept, ['kept[0:2]']);
  });

  test('when a shared run fails, each slice is re-run alone: only the bad one fails', async () => {
    const runs: string[][] = [];
    const batcher = new TileBatcher<string, string>({
      maxBatchTiles: 8,
      maxWaitMs: 0,
      maxQueueTiles: 100,
      queueLimitHint: '',
      run: async (slices) => {
        runs.push(slices.map((s) => s.payload));
        if (slices.some((s) => s.payload === 'bad')) throw new InternalError('ORT failed on bad');
        return slices.map((s) => s.payload.toUpperCase());
      },
    });
    // The first request starts a run at once (max_wait 0); the next three queue behind it together.
    const first = batcher.submit('first', 1);
    const [good1, bad, good2] = ['good1', 'bad', 'good2'].map((p) => batcher.submit(p, 1));
    assert.deepEqual(await first, ['FIRST']);
    assert.deepEqual(await good1, ['GOOD1']);
    await assert.rejects(bad!, /ORT failed on bad/);
    assert.deepEqual(await good2, ['GOOD2']);
    assert.deepEqual(runs, [['first'], ['good1', 'bad', 'good2'], ['good1'], ['bad'], ['good2']]);
  });

  test('over max_queue_tiles is refused with RESOURCE_EXHAUSTED naming the limit and the option', async () => {
    const { runs, batcher } = harness({ maxQueueTiles: 3, maxBatchTiles: 8 });
    const queued = batcher.submit('a', 2);
    await assert.rejects(
      batcher.submit('b', 2),
      (err: Error & { kind?: string }) =>
        err.kind === 'resource_exhausted' &&
        /2 tiles are already waiting and this request has 2; the queue limit is 3 tiles.*--max-queue-tiles/.test(
          err.message,
        ),
    );
    const fits = batcher.submit('c', 1);
    assert.equal(batcher.queuedTiles, 3);
    await batcher.close();
    await assert.rejects(queued, /shutting down/);
    await assert.rejects(fits, /shutting down/);
    assert.equal(runs.length, 0);
  });
});
