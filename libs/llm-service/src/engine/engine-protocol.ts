import type { OrtProvider } from '@internvl/ort';
import type { KvArray } from './kv-rows';

// Messages between the llm tier's event loop and its inference thread (decoder-thread.ts).

/** workerData of the inference thread. */
export interface EngineThreadConfig {
  embedFile: string;
  decoderFile: string;
  dtype: 'float32' | 'float16';
  numLayers: number;
  numKvHeads: number;
  headDim: number;
  hiddenSize: number;
  vocabSize: number;
  imageContextId: number;
  provider: OrtProvider;
  deviceId: number;
  requireGpu: boolean;
  intraOpThreads: number;
}

/** A typed error that crossed the thread boundary (structured clone keeps plain fields only). */
export interface ThreadError {
  kind?: string;
  message: string;
}

export type EngineRequest =
  | {
      type: 'prefill';
      id: number;
      seq: number;
      inputIds: Int32Array;
      /** Rows for the <IMG_CONTEXT> positions, in order, in the decoder's dtype. */
      imageEmbeds?: KvArray;
    }
  | { type: 'decode'; id: number; seqs: number[]; tokens: number[] }
  | { type: 'free'; seqs: number[] }
  | { type: 'release' };

export type EngineReply =
  | { type: 'warn'; message: string }
  | { type: 'ready'; provider: OrtProvider }
  /** Sent after a free, so the KV-cache gauge drops without waiting for another run. */
  | { type: 'cache'; cachedBytes: number }
  | { type: 'failed'; error: ThreadError }
  /** `logits` is [rows, vocab]: one row for a prefill (its last position), one per sequence for a decode. */
  | { type: 'result'; id: number; ok: true; logits: Float32Array; cachedBytes: number }
  | { type: 'result'; id: number; ok: false; error: ThreadError };

export function threadError(err: unknown): ThreadError {
  const e = err instanceof Error ? err : new Error(String(err));
  return { kind: (e as { kind?: string }).kind, message: e.message };
}
