import {
  abortReasonToError,
  InternalError,
  ResourceExhaustedError,
  UnavailableError,
} from '@internvl/errors';

/** The part of one request's tiles that goes into a batch. */
export interface TileSlice<P> {
  payload: P;
  /** Index of the request's first tile in this slice. */
  start: number;
  count: number;
}

/** What a request learns when its first tiles start running. */
export interface BatchStart {
  /** Time it spent queued. */
  waitMs: number;
  /** Tiles in the batch it joined, its own included. */
  batchTiles: number;
  /** Requests sharing that batch. */
  batchRequests: number;
}

/** One finished model run, for metrics. */
export interface BatchRecord {
  tiles: number;
  requests: number;
  runMs: number;
  ok: boolean;
}

/** Clock and timers; injectable so scheduling tests need no real waiting. */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_TIMERS: Timers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface TileBatcherOptions<P, O> {
  /** Most tiles in one run. */
  maxBatchTiles: number;
  /** Longest the oldest queued request waits for company before a run starts. */
  maxWaitMs: number;
  /** Tiles allowed to wait; a request that would go over is refused. */
  maxQueueTiles: number;
  /** Names the option that raises maxQueueTiles, for the error message. */
  queueLimitHint: string;
  /** Runs one batch (one model run) and returns one output per slice, in order. */
  run(slices: readonly TileSlice<P>[], tiles: number): Promise<O[]>;
  onBatch?(record: BatchRecord): void;
  timers?: Timers;
}

export interface SubmitOptions {
  /** Aborting it takes a queued request out of the queue; a running one's output is dropped. */
  signal?: AbortSignal;
  /** Called once, when the request's first tiles start running. */
  onStart?(start: BatchStart): void;
}

/** Counters since start: mean batch size = tiles / runs. */
export interface BatcherStats {
  runs: number;
  tiles: number;
  /** Request slices run (a request split into chunks counts once per chunk). */
  slices: number;
  /** Requests cancelled before their result was ready. */
  cancelled: number;
}

interface Job<P, O> {
  payload: P;
  tiles: number;
  /** Tiles handed to runs so far. */
  dispatched: number;
  /** Outputs of finished slices, in tile order. */
  parts: O[];
  finishedTiles: number;
  enqueuedAt: number;
  started: boolean;
  done: boolean;
  resolve(parts: O[]): void;
  reject(err: unknown): void;
  options: SubmitOptions;
  onAbort?: () => void;
}

interface Picked<P, O> {
  job: Job<P, O>;
  start: number;
  count: number;
}

type Outcome<O> = { ok: true; value: O } | { ok: false; error: unknown };

/**
 * Dynamic batching of tiles for one model: requests queue with their tile counts; a run starts
 * when the queue holds max_batch_tiles or its oldest request has waited max_wait_ms, and packs
 * whole requests first-fit (the oldest always goes). A request is split only when it alone
 * exceeds max_batch_tiles, then it runs in chunks of max_batch_tiles. One run at a time. A request
 * cancelled while queued leaves the queue and costs nothing; when a shared run fails, each slice
 * is re-run alone so only the failing request sees the error. Pure scheduling: the model run is
 * the injected `run`.
 */
export class TileBatcher<P, O> {
  private readonly queue: Job<P, O>[] = [];
  private queued = 0;
  private timer: unknown;
  private busy = false;
  private current: Promise<void> | undefined;
  private closed = false;
  private readonly timers: Timers;
  readonly stats: BatcherStats = { runs: 0, tiles: 0, slices: 0, cancelled: 0 };

  constructor(private readonly options: TileBatcherOptions<P, O>) {
    this.timers = options.timers ?? REAL_TIMERS;
  }

  /** Tiles waiting for a run (a queue-depth signal for autoscaling). */
  get queuedTiles(): number {
    return this.queued;
  }

  /** Requests with tiles waiting for a run. */
  get queuedRequests(): number {
    return this.queue.length;
  }

  /** Queues `tiles` tiles of `payload`; resolves with one output per slice it was run in, in tile order. */
  submit(payload: P, tiles: number, options: SubmitOptions = {}): Promise<O[]> {
    if (!Number.isSafeInteger(tiles) || tiles < 1)
      return Promise.reject(new InternalError(`a batch request needs at least one tile, got ${tiles}`));
    if (this.closed)
      return Promise.reject(
        new UnavailableError('the vision tier is shutting down; retry on another replica'),
      );
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortReasonToError(signal.reason));
    const limit = this.options.maxQueueTiles;
    if (this.queued + tiles > limit) {
      return Promise.reject(
        new ResourceExhaustedError(
          `${this.queued} tiles are already waiting and this request has ${tiles}; the queue limit is ${limit} tiles; retry later, add replicas or raise ${this.options.queueLimitHint}`,
        ),
      );
    }
    return new Promise<O[]>((resolve, reject) => {
      const job: Job<P, O> = {
        payload,
        tiles,
        dispatched: 0,
        parts: [],
        finishedTiles: 0,
        enqueuedAt: this.timers.now(),
        started: false,
        done: false,
        resolve,
        reject,
        options,
      };
      if (signal) {
        job.onAbort = () => this.cancel(job, signal.reason);
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.queue.push(job);
      this.queued += tiles;
      this.pump();
    });
  }

  /** Refuses what is queued and waits for the run in progress. */
  async close(): Promise<void> {
    this.closed = true;
    this.clearTimer();
    for (const job of [...this.queue]) {
      this.finish(job);
      job.reject(new UnavailableError('the vision tier is shutting down; retry on another replica'));
    }
    await this.current;
  }

  private cancel(job: Job<P, O>, reason: unknown): void {
    if (job.done) return;
    this.finish(job);
    this.stats.cancelled++;
    job.reject(abortReasonToError(reason));
    this.pump();
  }

  /** Marks `job` settled and takes what it still had queued out of the queue. */
  private finish(job: Job<P, O>): void {
    job.done = true;
    const index = this.queue.indexOf(job);
    if (index >= 0) {
      this.queue.splice(index, 1);
      this.queued -= job.tiles - job.dispatched;
    }
    if (job.onAbort) job.options.signal?.removeEventListener('abort', job.onAbort);
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Starts a run when one is due, else arms the timer for the oldest request's deadline. */
  private pump(): void {
    if (this.busy || this.closed) return;
    const head = this.queue[0];
    if (!head) {
      this.clearTimer();
      return;
    }
    const waited = this.timers.now() - head.enqueuedAt;
    // A request already partly run (a chunked one) waited its turn once; its next chunk goes now.
    if (
      this.queued >= this.options.maxBatchTiles ||
      waited >= this.options.maxWaitMs ||
      head.dispatched > 0
    ) {
      this.clearTimer();
      this.busy = true;
      this.current = this.dispatch().finally(() => {
        this.busy = false;
        this.current = undefined;
        this.pump();
      });
    } else if (this.timer === undefined) {
      this.timer = this.timers.setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, this.options.maxWaitMs - waited);
    }
  }

  /** First-fit packing in arrival order; the oldest request always goes (in a chunk if it is too big). */
  private pick(): Picked<P, O>[] {
    const max = this.options.maxBatchTiles;
    const picked: Picked<P, O>[] = [];
    let used = 0;
    for (const job of this.queue) {
      const room = max - used;
      if (room === 0) break;
      const remaining = job.tiles - job.dispatched;
      if (remaining <= room) picked.push({ job, start: job.dispatched, count: remaining });
      else if (used === 0) picked.push({ job, start: job.dispatched, count: room });
      else continue;
      used += picked[picked.length - 1]!.count;
    }
    for (const { job, count } of picked) {
      job.dispatched += count;
      this.queued -= count;
      if (job.dispatched === job.tiles) this.queue.splice(this.queue.indexOf(job), 1);
    }
    return picked;
  }

  private async dispatch(): Promise<void> {
    const picked = this.pick();
    try {
      const tiles = picked.reduce((sum, p) => sum + p.count, 0);
      const started = this.timers.now();
      for (const { job } of picked) {
        if (job.started) continue;
        job.started = true;
        job.options.onStart?.({
          waitMs: started - job.enqueuedAt,
          batchTiles: tiles,
          batchRequests: picked.length,
        });
      }
      let outcomes = await this.runBatch(picked, tiles);
      // A shared run failed: re-run each slice alone so the error reaches only the request it belongs to.
      if (picked.length > 1 && outcomes.some((o) => !o.ok)) {
        outcomes = [];
        for (const p of picked) {
          // A request cancelled meanwhile is not re-run; settle() ignores its outcome.
          if (p.job.done) outcomes.push({ ok: false, error: undefined });
          else outcomes.push((await this.runBatch([p], p.count))[0]!);
        }
      }
      picked.forEach((p, i) => this.settle(p, outcomes[i]!));
    } catch (error) {
      for (const p of picked) this.settle(p, { ok: false, error });
    }
  }

  /** One model run; every slice gets the run's outcome. */
  private async runBatch(picked: Picked<P, O>[], tiles: number): Promise<Outcome<O>[]> {
    const t0 = this.timers.now();
    let outcomes: Outcome<O>[];
    try {
      const slices = picked.map(({ job, start, count }) => ({ payload: job.payload, start, count }));
      const outputs = await this.options.run(slices, tiles);
      if (outputs.length !== picked.length)
        throw new InternalError(`a batch run returned ${outputs.length} outputs for ${picked.length} slices`);
      outcomes = outputs.map((value) => ({ ok: true, value }));
    } catch (error) {
      outcomes = picked.map(() => ({ ok: false, error }));
    }
    this.stats.runs++;
    this.stats.tiles += tiles;
    this.stats.slices += picked.length;
    const ok = outcomes.every((o) => o.ok);
    this.options.onBatch?.({ tiles, requests: picked.length, runMs: this.timers.now() - t0, ok });
    return outcomes;
  }

  private settle({ job, count }: Picked<P, O>, outcome: Outcome<O>): void {
    if (job.done) return; // cancelled while running: its output is dropped
    if (!outcome.ok) {
      this.finish(job);
      job.reject(outcome.error);
      return;
    }
    job.parts.push(outcome.value);
    job.finishedTiles += count;
    if (job.finishedTiles === job.tiles) {
      this.finish(job);
      job.resolve(job.parts);
    }
  }
}
