import { InvalidArgumentError } from '@internvl/errors';
import type { InternVLConfig } from '@internvl/model-config';
import { cachedGenerationRotary, decoderHiddenStates, lmHeadLogits } from './decoder-forward';
import { embedTokens, mergeImageEmbeds } from './embeddings';
import { cachedWeights, type WeightSource } from './weight-source';

/** Index of the largest value; the first one on ties (torch.argmax). */
export function argmax(values: Float32Array, start = 0, length = values.length - start): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < length; i++) {
    const v = values[start + i];
    if (v > bestValue) {
      best = i;
      bestValue = v;
    }
  }
  return best;
}

/**
 * Greedy decoding (do_sample=False, num_beams=1) by full recompute each step: slow, simple, for
 * tiny models. Image rows are merged into the prompt once; generated tokens are embedded plainly,
 * as HF generate does with inputs_embeds. Stops after emitting an EOS id, which is included.
 * Rotation follows HF generate with its KV cache (cachedGenerationRotary): prompt positions carry
 * the prompt's LongRoPE/NTK regime, each generated position its own.
 * @param imageEmbeds [#IMG_CONTEXT in prompt, hidden], or undefined for a text-only prompt
 * @returns the new token ids only
 */
export function greedyGenerate(
  config: InternVLConfig,
  weights: WeightSource,
  promptIds: readonly number[],
  imageEmbeds: Float32Array | undefined,
  imgContextId: number,
  maxNewTokens: number,
  eosIds: readonly number[],
): number[] {
  if (promptIds.length === 0)
    throw new InvalidArgumentError('greedyGenerate needs at least one prompt token');
  const w = cachedWeights(weights);
  const D = config.llm.hiddenSize;
  let prompt = embedTokens(config, w, promptIds);
  if (imageEmbeds !== undefined) prompt = mergeImageEmbeds(prompt, promptIds, imgContextId, imageEmbeds);
  const generated: number[] = [];
  let embeds = prompt;
  for (let step = 0; step < maxNewTokens; step++) {
    const T = promptIds.length + generated.length;
    const hidden = decoderHiddenStates(
      config,
      w,
      embeds,
      T,
      undefined,
      cachedGenerationRotary(config, promptIds.length, T),
    );
    const logits = lmHeadLogits(config, w, hidden, 1, T - 1);
    const next = argmax(logits);
    generated.push(next);
    if (eosIds.includes(next)) break;
    const grown = new Float32Array(embeds.length + D);
    grown.set(embeds);
    grown.set(embedTokens(config, w, [next]), embeds.length);
    embeds = grown;
  }
  return generated;
}
