import { join } from 'node:path';
import type { ModelDirectory, OrtProvider } from '@internvl/ort';
import { InferenceThread } from '@internvl/service-kit';
import type { KvCacheStats } from '../kv-cache/kv-cache-manager';
import { bytesPerPosition } from '../kv-cache/kv-layout';
import type {
  EngineNote,
  EngineReady,
  EngineRequest,
  EngineResult,
  EngineRunOptions,
  EngineThreadConfig,
} from './engine-protocol';
import type { PrefillProgress, PromptInput, StepModel } from './step-model';

export interface DecoderEngineOptions extends EngineRunOptions {
  /** Sequences decoding at once (the arena grows its rows up to this + 1). */
  maxActive: number;
  /** Receives the CUDA→CPU fallback warning. */
  warn: (message: string) => void;
}

const EMPTY_STATS: KvCacheStats = {
  heldBytes: 0,
  arenaBytes: 0,
  prefixBytes: 0,
  prefixBlocks: 0,
  usedPositions: 0,
  capacityPositions: 0,
  sequences: 0,
  prefixQueriedTokens: 0,
  prefixHitTokens: 0,
};

/**
 * embed.onnx + decoder.onnx of a model directory, run on a dedicated inference thread that also
 * holds the KV cache (decoder-thread.ts, kv-cache/). Should the thread die, pending runs fail and
 * every cache is gone (the scheduler fails the sequences of the failed step); the next call
 * starts it again.
 */
export class DecoderEngine implements StepModel {
  private stats: KvCacheStats = EMPTY_STATS;
  /** Counters survive a thread restart (Prometheus counters never go down). */
  private lostCounters = { prefixQueriedTokens: 0, prefixHitTokens: 0 };
  private currentProvider: OrtProvider;
  private readonly thread: InferenceThread<EngineRequest, EngineResult, EngineReady, EngineNote>;

  private constructor(
    readonly vocabSize: number,
    /** Bytes one cached position takes (all layers, keys and values). */
    readonly kvBytesPerPosition: number,
    readonly kvBudgetBytes: number,
    workerData: EngineThreadConfig,
    options: DecoderEngineOptions,
  ) {
    this.currentProvider = options.provider;
    this.thread = new InferenceThread({
      script: join(__dirname, 'decoder-thread.js'),
      workerData,
      name: 'llm inference thread',
      warn: options.warn,
      onReady: (ready) => (this.currentProvider = ready.provider),
      onNote: (note) => (this.stats = note.kv),
      onLost: () => {
        this.lostCounters.prefixQueriedTokens += this.stats.prefixQueriedTokens;
        this.lostCounters.prefixHitTokens += this.stats.prefixHitTokens;
        this.stats = EMPTY_STATS;
      },
    });
  }

  static async load(model: ModelDirectory, options: DecoderEngineOptions): Promise<DecoderEngine> {
    const { manifest } = model;
    const llm = manifest.config.llm;
    const layout = {
      numLayers: llm.numLayers,
      kvHeads: llm.numKvHeads,
      headDim: llm.headDim,
      dtype: manifest.kvDtype,
    };
    const engine = new DecoderEngine(
      llm.vocabSize,
      bytesPerPosition(layout),
      options.kvCacheBytes,
      {
        embedFile: model.file('embed'),
        decoderFile: model.file('decoder'),
        dtype: manifest.decoderDtype,
        kvDtype: manifest.kvDtype,
        llm,
        imageContextId: manifest.tokens.imageContext,
        provider: options.provider,
        deviceId: options.deviceId,
        requireGpu: options.requireGpu,
        intraOpThreads: options.intraOpThreads,
        kvCacheBytes: options.kvCacheBytes,
        kvBlockTokens: options.kvBlockTokens,
        prefixCaching: options.prefixCaching,
        maxRows: options.maxActive + 1,
      },
      options,
    );
    await engine.thread.start();
    return engine;
  }

  get provider(): OrtProvider {
    return this.currentProvider;
  }

  /** The KV cache after the last run or free. */
  get kv(): KvCacheStats {
    return {
      ...this.stats,
      prefixQueriedTokens: this.stats.prefixQueriedTokens + this.lostCounters.prefixQueriedTokens,
      prefixHitTokens: this.stats.prefixHitTokens + this.lostCounters.prefixHitTokens,
    };
  }

  /** Bytes of KV cache held after the last run or free. */
  get cachedBytes(): number {
    return this.stats.heldBytes;
  }

  async prefill(seq: number, prompt: PromptInput | undefined, maxTokens: number): Promise<PrefillProgress> {
    const transfer: ArrayBuffer[] = [];
    if (prompt) transfer.push(prompt.inputIds.buffer as ArrayBuffer);
    if (prompt?.imageEmbeds) transfer.push(prompt.imageEmbeds.buffer as ArrayBuffer);
    const result = this.record(
      await this.thread.call((id) => ({ type: 'prefill', id, seq, prompt, maxTokens }), transfer),
    );
    return {
      logits: result.logits.length > 0 ? result.logits : undefined,
      done: result.done ?? 0,
      cachedTokens: result.cachedTokens ?? 0,
    };
  }

  async decode(seqs: readonly number[], tokens: readonly number[]): Promise<Float32Array> {
    return this.record(
      await this.thread.call((id) => ({ type: 'decode', id, seqs: [...seqs], tokens: [...tokens] })),
    ).logits;
  }

  async fork(from: number, to: readonly number[]): Promise<void> {
    this.record(await this.thread.call((id) => ({ type: 'fork', id, from, to: [...to] })));
  }

  async reorder(seqs: readonly number[], sources: readonly number[]): Promise<void> {
    this.record(
      await this.thread.call((id) => ({ type: 'reorder', id, seqs: [...seqs], sources: [...sources] })),
    );
  }

  free(seqs: readonly number[]): void {
    this.thread.post({ type: 'free', seqs: [...seqs] });
  }

  release(): Promise<void> {
    return this.thread.release();
  }

  private record(result: EngineResult): EngineResult {
    this.stats = result.kv;
    return result;
  }
}
