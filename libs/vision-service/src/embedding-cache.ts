import { abortReasonToError, throwIfAborted } from '@internvl/errors';

/** A value the cache can size. */
export interface Sized {
  readonly byteLength: number;
}

/** Where {@link EmbeddingCache.resolve} found the value. */
export type CacheSource = 'cache' | 'shared' | 'computed';

/** `promise`, or the abort reason as a typed error as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReasonToError(signal.reason));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/**
 * LRU cache bounded in bytes, keyed by the preprocess content hash, that also coalesces
 * concurrent work: while one caller computes a key, others asking for it wait for that result
 * instead of computing it again (a conversation re-sending an image in quick turns runs the
 * encoder once). A value larger than the whole cache is returned but not kept; 0 bytes disables
 * keeping, not coalescing.
 */
export class EmbeddingCache<V extends Sized> {
  /** Map order is recency order: the first key is the least recently used. */
  private readonly entries = new Map<string, V>();
  private readonly inFlight = new Map<string, Promise<V>>();
  private bytes = 0;

  constructor(readonly maxBytes: number) {}

  /** Bytes held. */
  get byteSize(): number {
    return this.bytes;
  }

  /** Entries held. */
  get size(): number {
    return this.entries.size;
  }

  /** The cached value, marked most recently used. */
  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  /** Stores `value` as most recently used, evicting least recently used entries to stay in bounds. */
  set(key: string, value: V): void {
    this.delete(key);
    if (value.byteLength > this.maxBytes) return;
    this.entries.set(key, value);
    this.bytes += value.byteLength;
    for (const [oldest, old] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= old.byteLength;
    }
  }

  delete(key: string): void {
    const old = this.entries.get(key);
    if (old === undefined) return;
    this.entries.delete(key);
    this.bytes -= old.byteLength;
  }

  /**
   * The value of `key`: cached, else the result of a computation already running for it, else
   * `compute()`'s (kept on success). Without `compute` a miss resolves `undefined`. When the
   * computation this caller waited on fails (its owner was cancelled), the caller runs its own.
   */
  async resolve(
    key: string,
    compute: (() => Promise<V>) | undefined,
    signal?: AbortSignal,
  ): Promise<{ value: V; source: CacheSource } | undefined> {
    for (;;) {
      throwIfAborted(signal);
      const cached = this.get(key);
      if (cached !== undefined) return { value: cached, source: 'cache' };
      const running = this.inFlight.get(key);
      if (running) {
        try {
          return { value: await abortable(running, signal), source: 'shared' };
        } catch {
          if (signal?.aborted) throw abortReasonToError(signal.reason);
          // The owner's computation failed: look again (another may have started), else compute.
          if (this.inFlight.get(key) === running) this.inFlight.delete(key);
          continue;
        }
      }
      if (!compute) return undefined;
      const own = compute();
      this.inFlight.set(key, own);
      try {
        const value = await own;
        this.set(key, value);
        return { value, source: 'computed' };
      } finally {
        if (this.inFlight.get(key) === own) this.inFlight.delete(key);
      }
    }
  }
}
