import type { FloatType } from '@internvl/float-formats';
import type { LlmConfig } from '@internvl/model-config';
import type { OrtProvider } from '@internvl/ort';
import type { KvCacheStats } from '../kv-cache/kv-cache-manager';
import type { PromptInput } from './step-model';

// What the llm tier's event loop and its inference thread (decoder-thread.ts) exchange.

/** How the inference thread runs the decoder and sizes its KV cache (the llm tier's flags). */
export interface EngineRunOptions {
  provider: OrtProvider;
  deviceId: number;
  requireGpu: boolean;
  intraOpThreads: number;
  /** KV arena + prefix cache budget. */
  kvCacheBytes: number;
  /** Positions per prefix-cache block. */
  kvBlockTokens: number;
  prefixCaching: boolean;
}

/** workerData of the inference thread. */
export interface EngineThreadConfig extends EngineRunOptions {
  embedFile: string;
  decoderFile: string;
  /** inputs_embeds type. */
  dtype: FloatType;
  kvDtype: FloatType;
  llm: LlmConfig;
  imageContextId: number;
  maxRows: number;
}

export type EngineRequest =
  | {
      type: 'prefill';
      id: number;
      seq: number;
      /** With the first chunk only. */
      prompt?: PromptInput;
      maxTokens: number;
    }
  | { type: 'decode'; id: number; seqs: number[]; tokens: number[] }
  | { type: 'fork'; id: number; from: number; to: number[] }
  | { type: 'reorder'; id: number; seqs: number[]; sources: number[] }
  | { type: 'free'; seqs: number[] };

/** What the thread reports once its sessions are open. */
export interface EngineReady {
  provider: OrtProvider;
}

/**
 * A run's answer: logits [rows, vocab] (one row for a finished prefill, none for an unfinished
 * one, one per sequence for a decode), and for a prefill where the prompt stands.
 */
export interface EngineResult {
  logits: Float32Array;
  done?: number;
  cachedTokens?: number;
  kv: KvCacheStats;
}

/** Sent after a free, so the KV-cache gauges drop without waiting for another run. */
export interface EngineNote {
  kv: KvCacheStats;
}
