import { join } from 'node:path';
import { domainErrorFromKind } from '@internvl/errors';
import type { DecodeLimits } from '@internvl/image-decode';
import { WorkerPool } from '@internvl/service-kit';
import type { EffectiveOptions } from './preprocess-request';
import { runTileJob } from './run-tile-job';
import { runSplitJob } from './split-job';
import type { TileJobInput, TileJobOutput } from './tile-job';

export interface PreprocessOutcome extends TileJobOutput {
  dtype: EffectiveOptions['dtype'];
}

export interface PreprocessorOptions {
  limits: Omit<DecodeLimits, 'autoOrient'>;
  /** 0 runs on the calling thread (CLI --local, benchmarks); otherwise a worker pool of this size. */
  workers: number;
  maxQueue: number;
  queueLimitHint: string;
  /** A worker whose own memory passes this many MiB after a job is replaced; 0 = never. */
  workerMaxMemoryMb?: number;
}

/**
 * Image bytes → pixel_values. Hashing, decoding (sharp), resize, crop and normalization all run in
 * worker threads, so the event loop only moves bytes and health checks stay responsive in a burst.
 */
export class Preprocessor {
  private readonly pool: WorkerPool<TileJobInput, TileJobOutput> | undefined;

  constructor(private readonly options: PreprocessorOptions) {
    this.pool =
      options.workers > 0
        ? new WorkerPool<TileJobInput, TileJobOutput>({
            script: join(__dirname, 'tile-worker.js'),
            size: options.workers,
            maxQueue: options.maxQueue,
            queueLimitHint: options.queueLimitHint,
            reviveError: (e) => domainErrorFromKind(e.kind, e.message),
            maxWorkerMemoryBytes: (options.workerMaxMemoryMb ?? 0) * 2 ** 20,
          })
        : undefined;
  }

  /** Workers replaced so far for passing worker_max_memory_mb. */
  get recycledWorkers(): number {
    return this.pool?.recycled ?? 0;
  }

  /** Jobs waiting for a worker (a queue-depth signal for autoscaling). */
  get queueDepth(): number {
    return this.pool?.queued ?? 0;
  }

  /** Whether two workers are free and nothing waits: one image may then use both. */
  private idleEnoughToSplit(): boolean {
    return !!this.pool && this.pool.queued === 0 && this.options.workers - this.pool.running >= 2;
  }

  /**
   * Preprocesses one image. With a worker pool, `image`'s buffer is transferred to the worker
   * and unusable afterwards when it owns its whole ArrayBuffer. When two workers are idle, a
   * large image is split between them (its pixels then live in a SharedArrayBuffer).
   */
  async preprocess(
    image: Uint8Array,
    options: EffectiveOptions,
    returnTiles: boolean,
    signal?: AbortSignal,
  ): Promise<PreprocessOutcome> {
    const input: TileJobInput = { image, limits: this.options.limits, options, returnTiles };
    let output: TileJobOutput;
    const split =
      this.pool && !returnTiles && this.idleEnoughToSplit()
        ? await runSplitJob(this.pool, input, signal)
        : undefined;
    if (split) {
      output = split;
    } else if (this.pool) {
      const ownsBuffer =
        image.byteOffset === 0 &&
        image.byteLength === image.buffer.byteLength &&
        image.buffer instanceof ArrayBuffer;
      output = await this.pool.run(input, ownsBuffer ? [image.buffer as ArrayBuffer] : [], signal);
    } else {
      output = await runTileJob(input);
    }
    return { ...output, dtype: options.dtype };
  }

  close(): Promise<void> {
    return this.pool?.close() ?? Promise.resolve();
  }
}
