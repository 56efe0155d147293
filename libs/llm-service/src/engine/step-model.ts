import type { KvArray } from './kv-rows';

/**
 * What the scheduler needs from a decoder: a prefill that creates a sequence's KV cache, one
 * batched decode step over any set of live sequences, and freeing caches. Sequences are numbered
 * by the caller and never reused.
 */
export interface StepModel {
  readonly vocabSize: number;
  /** Runs the prompt; returns the logits of its last position [vocab]. */
  prefill(seq: number, inputIds: Int32Array, imageEmbeds?: KvArray): Promise<Float32Array>;
  /** Feeds one token per sequence; returns logits [seqs.length, vocab] in the same order. */
  decode(seqs: readonly number[], tokens: readonly number[]): Promise<Float32Array>;
  /** Drops the sequences' caches. */
  free(seqs: readonly number[]): void;
}
