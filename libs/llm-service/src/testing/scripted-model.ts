import type { StepModel } from '../engine/step-model';

/**
 * Runs the real decoder (so KV caches, batching and timing are real) but replaces its logits
 * with one-hot rows that make every sequence generate `script`, then `end` forever: a way to make
 * a random-weight model "say" a chosen text through the whole service.
 */
export function scriptedModel(real: StepModel, script: readonly number[], end: number): StepModel {
  const position = new Map<number, number>();
  const oneHot = (out: Float32Array, row: number, seq: number) => {
    const k = position.get(seq) ?? 0;
    position.set(seq, k + 1);
    out[row * real.vocabSize + (k < script.length ? script[k]! : end)] = 1;
  };
  return {
    vocabSize: real.vocabSize,
    async prefill(seq, prompt, maxTokens) {
      const progress = await real.prefill(seq, prompt, maxTokens);
      if (!progress.logits) return progress;
      const out = new Float32Array(real.vocabSize);
      oneHot(out, 0, seq);
      return { ...progress, logits: out };
    },
    async decode(seqs, tokens) {
      await real.decode(seqs, tokens);
      const out = new Float32Array(seqs.length * real.vocabSize);
      seqs.forEach((seq, r) => oneHot(out, r, seq));
      return out;
    },
    fork: (from, to) => real.fork(from, to),
    reorder: (seqs, sources) => real.reorder(seqs, sources),
    free(seqs) {
      real.free(seqs);
      for (const seq of seqs) position.delete(seq);
    },
  };
}
