import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { domainErrorFromKind, InternalError } from '@internvl/errors';
import type { ModelDirectory } from '@internvl/model-config';
import type { OrtProvider } from '@internvl/ort';
import type { EngineReply, EngineRequest, EngineThreadConfig, ThreadError } from './engine-protocol';
import type { KvArray } from './kv-rows';
import type { StepModel } from './step-model';

export interface DecoderEngineOptions {
  provider: OrtProvider;
  deviceId: number;
  requireGpu: boolean;
  intraOpThreads: number;
  /** Receives the CUDA→CPU fallback warning. */
  warn: (message: string) => void;
}

const revive = (e: ThreadError) => domainErrorFromKind(e.kind, e.message);

interface PendingRun {
  resolve(logits: Float32Array): void;
  reject(err: unknown): void;
}

/**
 * embed.onnx + decoder.onnx of a model directory, run on a dedicated inference thread that also
 * holds every sequence's KV cache (decoder-thread.ts). Should the thread die, pending runs fail,
 * every cache is gone (`generation` counts restarts so the scheduler can fail its sequences), and
 * the next call starts it again.
 */
export class DecoderEngine implements StepModel {
  private nextId = 1;
  private readonly pending = new Map<number, PendingRun>();
  private worker: Worker | undefined;
  private starting: Promise<Worker> | undefined;
  private closing = false;
  private bytes = 0;
  /** Bumped each time the thread is lost; caches of an older generation no longer exist. */
  generation = 0;

  private constructor(
    private readonly threadConfig: EngineThreadConfig,
    private readonly warn: (message: string) => void,
    private currentProvider: OrtProvider,
  ) {}

  static async load(model: ModelDirectory, options: DecoderEngineOptions): Promise<DecoderEngine> {
    const { manifest } = model;
    const llm = manifest.config.llm;
    const engine = new DecoderEngine(
      {
        embedFile: model.file('embed'),
        decoderFile: model.file('decoder'),
        dtype: manifest.decoderDtype,
        numLayers: llm.numLayers,
        numKvHeads: llm.numKvHeads,
        headDim: llm.headDim,
        hiddenSize: llm.hiddenSize,
        vocabSize: llm.vocabSize,
        imageContextId: manifest.tokens.imageContext,
        provider: options.provider,
        deviceId: options.deviceId,
        requireGpu: options.requireGpu,
        intraOpThreads: options.intraOpThreads,
      },
      options.warn,
      options.provider,
    );
    await engine.thread();
    return engine;
  }

  get vocabSize(): number {
    return this.threadConfig.vocabSize;
  }

  get provider(): OrtProvider {
    return this.currentProvider;
  }

  /** Bytes of KV cache held after the last run. */
  get cachedBytes(): number {
    return this.bytes;
  }

  prefill(seq: number, inputIds: Int32Array, imageEmbeds?: KvArray): Promise<Float32Array> {
    const transfer = [inputIds.buffer as ArrayBuffer];
    if (imageEmbeds) transfer.push(imageEmbeds.buffer as ArrayBuffer);
    return this.call((id) => ({ type: 'prefill', id, seq, inputIds, imageEmbeds }), transfer);
  }

  decode(seqs: readonly number[], tokens: readonly number[]): Promise<Float32Array> {
    return this.call((id) => ({ type: 'decode', id, seqs: [...seqs], tokens: [...tokens] }), []);
  }

  free(seqs: readonly number[]): void {
    this.worker?.postMessage({ type: 'free', seqs: [...seqs] } satisfies EngineRequest);
  }

  async release(): Promise<void> {
    this.closing = true;
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.ref();
    worker.postMessage({ type: 'release' } satisfies EngineRequest);
    await exited;
  }

  private async call(message: (id: number) => EngineRequest, transfer: ArrayBuffer[]): Promise<Float32Array> {
    const worker = await this.thread();
    const id = this.nextId++;
    return new Promise<Float32Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage(message(id), transfer);
    });
  }

  private thread(): Promise<Worker> {
    if (this.closing) return Promise.reject(new InternalError('the llm model was released'));
    if (this.worker) return Promise.resolve(this.worker);
    this.starting ??= this.start().finally(() => (this.starting = undefined));
    return this.starting;
  }

  /** An idle thread must not keep the process alive. */
  private idle(worker: Worker): void {
    if (this.pending.size === 0 && !this.closing) worker.unref();
  }

  private start(): Promise<Worker> {
    const worker = new Worker(join(__dirname, 'decoder-thread.js'), { workerData: this.threadConfig });
    return new Promise<Worker>((resolve, reject) => {
      worker.on('message', (message: EngineReply) => {
        switch (message.type) {
          case 'warn':
            this.warn(message.message);
            break;
          case 'ready':
            this.currentProvider = message.provider;
            this.worker = worker;
            this.idle(worker);
            resolve(worker);
            break;
          case 'cache':
            this.bytes = message.cachedBytes;
            break;
          case 'failed':
            reject(revive(message.error));
            void worker.terminate();
            break;
          case 'result': {
            const run = this.pending.get(message.id);
            this.pending.delete(message.id);
            if (message.ok) {
              this.bytes = message.cachedBytes;
              run?.resolve(message.logits);
            } else run?.reject(revive(message.error));
            this.idle(worker);
            break;
          }
        }
      });
      const lost = (why: string) => {
        if (this.worker === worker) this.worker = undefined;
        this.generation++;
        this.bytes = 0;
        const err = new InternalError(`the llm inference thread ${why}`);
        reject(err);
        for (const run of this.pending.values()) run.reject(err);
        this.pending.clear();
      };
      worker.on('error', (err) => lost(`crashed: ${err.message}`));
      worker.on('exit', (code) => {
        if (!this.closing) lost(`exited with code ${code}`);
      });
    });
  }
}
