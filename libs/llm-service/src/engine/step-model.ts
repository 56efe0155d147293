import type { FloatArray } from '@internvl/float-formats';

/** A prompt to prefill: its ids and the rows for its <IMG_CONTEXT> positions (decoder dtype). */
export interface PromptInput {
  inputIds: Int32Array;
  imageEmbeds?: FloatArray;
  /** Rows of each image in `imageEmbeds`, in order (prefix-cache keys hash each image apart). */
  imageRows?: number[];
}

/** Where a sequence's prompt stands after a prefill call. */
export interface PrefillProgress {
  /** The last prompt position's logits [vocab], once the whole prompt is in. */
  logits?: Float32Array;
  /** Prompt positions in the cache now. */
  done: number;
  /** Of them, positions taken from the prefix cache instead of computed. */
  cachedTokens: number;
}

/**
 * What the scheduler needs from a decoder: a prefill that creates a sequence's KV cache, one
 * batched decode step over any set of live sequences, and freeing caches. Sequences are numbered
 * by the caller and never reused.
 */
export interface StepModel {
  readonly vocabSize: number;
  /**
   * Computes up to `maxTokens` more positions of the sequence's prompt (given with the first call
   * only; positions found in the prefix cache are taken, not computed) into its KV cache: long
   * prompts go in chunks so decode steps of others can run between.
   */
  prefill(seq: number, prompt: PromptInput | undefined, maxTokens: number): Promise<PrefillProgress>;
  /** Feeds one token per sequence; returns logits [seqs.length, vocab] in the same order. */
  decode(seqs: readonly number[], tokens: readonly number[]): Promise<Float32Array>;
  /** Drops the sequences' caches. */
  free(seqs: readonly number[]): void;
  /** New sequences `to` start with a copy of `from`'s cache (beam search). */
  fork(from: number, to: readonly number[]): Promise<void>;
  /** seqs[j] takes over the cache sources[j] had before the call (beam search). */
  reorder(seqs: readonly number[], sources: readonly number[]): Promise<void>;
}
