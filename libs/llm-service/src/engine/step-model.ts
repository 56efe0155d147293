import type { KvArray } from './kv-rows';

/** A prompt to prefill: its ids and the rows for its <IMG_CONTEXT> positions (decoder dtype). */
export interface PromptInput {
  inputIds: Int32Array;
  imageEmbeds?: KvArray;
}

/**
 * What the scheduler needs from a decoder: a prefill that creates a sequence's KV cache, one
 * batched decode step over any set of live sequences, and freeing caches. Sequences are numbered
 * by the caller and never reused.
 */
export interface StepModel {
  readonly vocabSize: number;
  /**
   * Runs up to `maxTokens` more positions of the sequence's prompt (given with the first call
   * only) into its KV cache: long prompts go in chunks so decode steps of others can run between.
   * Resolves with the last position's logits [vocab] once the whole prompt is in, else undefined.
   */
  prefill(seq: number, prompt: PromptInput | undefined, maxTokens: number): Promise<Float32Array | undefined>;
  /** Feeds one token per sequence; returns logits [seqs.length, vocab] in the same order. */
  decode(seqs: readonly number[], tokens: readonly number[]): Promise<Float32Array>;
  /** Drops the sequences' caches. */
  free(seqs: readonly number[]): void;
}
