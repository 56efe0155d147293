import { Worker } from 'node:worker_threads';
import { InternalError } from '@internvl/errors';
import { RELEASE, reviveThreadError, type ThreadReply } from './inference-thread-protocol';

export interface InferenceThreadOptions<Ready, Note> {
  /** Compiled thread script (it calls serveInferenceThread). */
  script: string;
  workerData: unknown;
  /** Names the thread in errors, e.g. "vision inference thread". */
  name: string;
  warn(message: string): void;
  onReady?(ready: Ready): void;
  onNote?(note: Note): void;
  /** The thread died: whatever it held (sessions, caches) is gone. */
  onLost?(): void;
}

interface PendingCall {
  resolve(result: unknown): void;
  reject(err: unknown): void;
}

/**
 * A model's dedicated thread, seen from the event loop. onnxruntime-node's `session.run` executes
 * on the calling thread (its promise only defers the call), so a run on the event loop would
 * stall every other call, health checks included. Calls are matched to results by id; typed
 * errors cross back as typed errors. Should the thread die, pending calls fail and the next call
 * starts it again. An idle thread does not keep the process alive.
 */
export class InferenceThread<Request extends { type: string }, Result, Ready = unknown, Note = never> {
  private nextId = 1;
  private readonly pending = new Map<number, PendingCall>();
  private worker: Worker | undefined;
  private starting: Promise<Worker> | undefined;
  private closing = false;

  constructor(private readonly options: InferenceThreadOptions<Ready, Note>) {}

  /** Starts the thread (if it is not running) and waits until its model is ready. */
  async start(): Promise<void> {
    await this.thread();
  }

  /** Sends a request built around a fresh id and resolves with its result. */
  async call(request: (id: number) => Request, transfer: ArrayBuffer[] = []): Promise<Result> {
    const worker = await this.thread();
    const id = this.nextId++;
    return new Promise<Result>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: unknown) => void, reject });
      worker.ref();
      worker.postMessage(request(id), transfer);
    });
  }

  /** Sends a request that has no result, if the thread runs (nothing to tell a dead one). */
  post(request: Request): void {
    this.worker?.postMessage(request);
  }

  /** Lets the thread release its model, then ends it. */
  async release(): Promise<void> {
    this.closing = true;
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.ref();
    worker.postMessage(RELEASE);
    await exited;
  }

  private thread(): Promise<Worker> {
    if (this.closing) return Promise.reject(new InternalError(`the ${this.options.name} was released`));
    if (this.worker) return Promise.resolve(this.worker);
    this.starting ??= this.spawn().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private idle(worker: Worker): void {
    if (this.pending.size === 0 && !this.closing) worker.unref();
  }

  private spawn(): Promise<Worker> {
    const { options } = this;
    const worker = new Worker(options.script, { workerData: options.workerData });
    return new Promise<Worker>((resolve, reject) => {
      worker.on('message', (message: ThreadReply<Ready, Result, Note>) => {
        switch (message.type) {
          case 'warn':
            options.warn(message.message);
            break;
          case 'ready':
            options.onReady?.(message.ready);
            this.worker = worker;
            this.idle(worker);
            resolve(worker);
            break;
          case 'failed':
            reject(reviveThreadError(message.error));
            void worker.terminate();
            break;
          case 'note':
            options.onNote?.(message.note);
            break;
          case 'result': {
            const call = this.pending.get(message.id);
            this.pending.delete(message.id);
            if (message.ok) call?.resolve(message.result);
            else call?.reject(reviveThreadError(message.error));
            this.idle(worker);
            break;
          }
        }
      });
      const lost = (why: string) => {
        if (this.worker === worker) this.worker = undefined;
        options.onLost?.();
        const err = new InternalError(`the ${options.name} ${why}`);
        reject(err);
        for (const call of this.pending.values()) call.reject(err);
        this.pending.clear();
      };
      worker.on('error', (err) => lost(`crashed: ${err.message}`));
      worker.on('exit', (code) => {
        if (!this.closing) lost(`exited with code ${code}`);
      });
    });
  }
}
