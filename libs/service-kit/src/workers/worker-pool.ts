import { Worker, type Transferable } from 'node:worker_threads';
import { ResourceExhaustedError, abortReasonToError, InternalError } from '@internvl/errors';

/** Message a pool worker receives: a job id and its input. */
export interface WorkerJob<I> {
  id: number;
  input: I;
}

/** Message a pool worker sends back: the output or a typed error description. */
export type WorkerReply<O> = (
  | { id: number; ok: true; output: O }
  | { id: number; ok: false; error: { name: string; kind?: string; message: string } }
) & {
  /** The worker's own memory after the job (its V8 heap, external memory and ArrayBuffers). */
  memoryBytes?: number;
};

interface Pending<I, O> {
  id: number;
  input: I;
  transfer: Transferable[];
  resolve: (output: O) => void;
  reject: (err: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export interface WorkerPoolOptions {
  /** Compiled worker script (it answers each WorkerJob with a WorkerReply). */
  script: string;
  size: number;
  /** Jobs allowed to wait for a free worker; more are refused with RESOURCE_EXHAUSTED. */
  maxQueue: number;
  /** Names the option that raises maxQueue, for the error message. */
  queueLimitHint: string;
  /** Rebuilds a typed error from a worker's error description. */
  reviveError: (error: { name: string; kind?: string; message: string }) => Error;
  /**
   * A worker whose own memory (reported with each reply) is above this many bytes after a job is
   * replaced by a fresh one, which frees what its isolate kept; 0 or absent = never.
   */
  maxWorkerMemoryBytes?: number;
}

/**
 * A fixed pool of worker threads for CPU-bound jobs, so the event loop (health checks, other
 * calls) stays responsive during a burst. Jobs cancelled while queued leave the queue at once;
 * a running job finishes but its result is dropped. A crashed worker is replaced, and so is one
 * that reports more memory than `maxWorkerMemoryBytes` after a job.
 */
export class WorkerPool<I, O> {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending<I, O>>();
  private readonly queue: Pending<I, O>[] = [];
  private nextId = 1;
  private closed = false;
  private recycledCount = 0;

  constructor(private readonly options: WorkerPoolOptions) {
    for (let i = 0; i < options.size; i++) this.idle.push(this.spawn());
  }

  get queued(): number {
    return this.queue.length;
  }

  get running(): number {
    return this.busy.size;
  }

  /** Workers replaced so far because they were over `maxWorkerMemoryBytes`. */
  get recycled(): number {
    return this.recycledCount;
  }

  /** Runs one job; `transfer` lists input buffers moved (not copied) to the worker. */
  run(input: I, transfer: Transferable[] = [], signal?: AbortSignal): Promise<O> {
    if (this.closed) return Promise.reject(new ResourceExhaustedError('the worker pool is shutting down'));
    if (signal?.aborted) return Promise.reject(abortReasonToError(signal.reason));
    if (this.idle.length === 0 && this.queue.length >= this.options.maxQueue) {
      return Promise.reject(
        new ResourceExhaustedError(
          `${this.queue.length} jobs are already waiting, the queue limit is ${this.options.maxQueue}; retry later or raise ${this.options.queueLimitHint}`,
        ),
      );
    }
    return new Promise<O>((resolve, reject) => {
      const job: Pending<I, O> = { id: this.nextId++, input, transfer, resolve, reject, signal };
      if (signal) {
        job.onAbort = () => {
          const index = this.queue.indexOf(job);
          if (index >= 0) this.queue.splice(index, 1);
          reject(abortReasonToError(signal.reason));
        };
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.queue.push(job);
      this.dispatch();
    });
  }

  /** Stops every worker; queued jobs are refused. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0))
      job.reject(new ResourceExhaustedError('the worker pool is shutting down'));
    await Promise.all([...this.idle, ...this.busy.keys()].map((w) => w.terminate()));
  }

  private spawn(): Worker {
    const worker = new Worker(this.options.script);
    worker.unref();
    worker.on('message', (reply: WorkerReply<O>) => this.onReply(worker, reply));
    worker.on('error', (err) => this.onCrash(worker, err));
    return worker;
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      const job = this.queue.shift()!;
      this.busy.set(worker, job);
      const message: WorkerJob<I> = { id: job.id, input: job.input };
      worker.postMessage(message, job.transfer as never);
    }
  }

  private settle(worker: Worker): Pending<I, O> | undefined {
    const job = this.busy.get(worker);
    this.busy.delete(worker);
    if (job?.onAbort) job.signal?.removeEventListener('abort', job.onAbort);
    return job;
  }

  private onReply(worker: Worker, reply: WorkerReply<O>): void {
    const job = this.settle(worker);
    const bound = this.options.maxWorkerMemoryBytes ?? 0;
    if (bound > 0 && (reply.memoryBytes ?? 0) > bound && !this.closed) {
      // Its answer is already here; a fresh worker takes its place and the old one goes away.
      this.recycledCount += 1;
      void worker.terminate();
      this.idle.push(this.spawn());
    } else {
      this.idle.push(worker);
    }
    if (job && !job.signal?.aborted) {
      if (reply.ok) job.resolve(reply.output);
      else job.reject(this.options.reviveError(reply.error));
    }
    this.dispatch();
  }

  private onCrash(worker: Worker, err: Error): void {
    const job = this.settle(worker);
    job?.reject(new InternalError(`worker crashed: ${err.message}`, { cause: err }));
    if (!this.closed) {
      void worker.terminate();
      this.idle.push(this.spawn());
      this.dispatch();
    }
  }
}
