import { join } from 'node:path';
import type { ModelDirectory } from '@internvl/model-config';
import type { OrtProvider } from '@internvl/ort';
import { InferenceThread } from '@internvl/service-kit';
import type { EngineNote, EngineReady, EngineRequest, EngineResult } from './engine-protocol';
import type { PromptInput, StepModel } from './step-model';

export interface DecoderEngineOptions {
  provider: OrtProvider;
  deviceId: number;
  requireGpu: boolean;
  intraOpThreads: number;
  /** Receives the CUDA→CPU fallback warning. */
  warn: (message: string) => void;
}

/**
 * embed.onnx + decoder.onnx of a model directory, run on a dedicated inference thread that also
 * holds every sequence's KV cache (decoder-thread.ts). Should the thread die, pending runs fail and
 * every cache is gone (the scheduler fails the sequences of the failed step); the next call
 * starts it again.
 */
export class DecoderEngine implements StepModel {
  private bytes = 0;
  private currentProvider: OrtProvider;
  private readonly thread: InferenceThread<EngineRequest, EngineResult, EngineReady, EngineNote>;

  private constructor(
    readonly vocabSize: number,
    workerData: unknown,
    options: DecoderEngineOptions,
  ) {
    this.currentProvider = options.provider;
    this.thread = new InferenceThread({
      script: join(__dirname, 'decoder-thread.js'),
      workerData,
      name: 'llm inference thread',
      warn: options.warn,
      onReady: (ready) => (this.currentProvider = ready.provider),
      onNote: (note) => (this.bytes = note.cachedBytes),
      onLost: () => (this.bytes = 0),
    });
  }

  static async load(model: ModelDirectory, options: DecoderEngineOptions): Promise<DecoderEngine> {
    const { manifest } = model;
    const llm = manifest.config.llm;
    const engine = new DecoderEngine(
      llm.vocabSize,
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
      options,
    );
    await engine.thread.start();
    return engine;
  }

  get provider(): OrtProvider {
    return this.currentProvider;
  }

  /** Bytes of KV cache held after the last run or free. */
  get cachedBytes(): number {
    return this.bytes;
  }

  async prefill(
    seq: number,
    prompt: PromptInput | undefined,
    maxTokens: number,
  ): Promise<Float32Array | undefined> {
    const transfer: ArrayBuffer[] = [];
    if (prompt) transfer.push(prompt.inputIds.buffer as ArrayBuffer);
    if (prompt?.imageEmbeds) transfer.push(prompt.imageEmbeds.buffer as ArrayBuffer);
    const logits = this.logits(
      await this.thread.call((id) => ({ type: 'prefill', id, seq, prompt, maxTokens }), transfer),
    );
    return logits.length > 0 ? logits : undefined;
  }

  async decode(seqs: readonly number[], tokens: readonly number[]): Promise<Float32Array> {
    return this.logits(
      await this.thread.call((id) => ({ type: 'decode', id, seqs: [...seqs], tokens: [...tokens] })),
    );
  }

  free(seqs: readonly number[]): void {
    this.thread.post({ type: 'free', seqs: [...seqs] });
  }

  release(): Promise<void> {
    return this.thread.release();
  }

  private logits(result: EngineResult): Float32Array {
    this.bytes = result.cachedBytes;
    return result.logits;
  }
}
