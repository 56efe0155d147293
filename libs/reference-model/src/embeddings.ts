import { InvalidArgumentError } from '@internvl/errors';
import { llmTopLevelNames, type InternVLConfig } from '@internvl/model-config';
import type { WeightSource } from './weight-source';

/**
 * Token embedding lookup (embed_tokens for Phi-3, tok_embeddings for InternLM2).
 * @returns [ids.length, hidden]
 */
export function embedTokens(
  config: InternVLConfig,
  weights: WeightSource,
  ids: readonly number[],
): Float32Array {
  const { vocabSize, hiddenSize: D } = config.llm;
  const table = weights.read(llmTopLevelNames(config.llm.architecture).embed, [vocabSize, D]);
  const out = new Float32Array(ids.length * D);
  ids.forEach((id, t) => {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new InvalidArgumentError(
        `token id ${id} at position ${t} is outside the vocabulary (0..${vocabSize - 1})`,
      );
    }
    out.set(table.subarray(id * D, (id + 1) * D), t * D);
  });
  return out;
}

/**
 * Writes image embedding rows, in order, over the rows whose id is IMG_CONTEXT
 * (InternVLChatModel: `input_embeds[selected] = vit_embeds`). Returns a new array.
 * @param inputsEmbeds [ids.length, hidden]
 * @param imageEmbeds [count, hidden]; count must equal the number of IMG_CONTEXT ids
 */
export function mergeImageEmbeds(
  inputsEmbeds: Float32Array,
  ids: readonly number[],
  imgContextId: number,
  imageEmbeds: Float32Array,
): Float32Array {
  if (ids.length === 0 || inputsEmbeds.length % ids.length !== 0) {
    throw new InvalidArgumentError(
      `inputs_embeds has ${inputsEmbeds.length} values for ${ids.length} tokens`,
    );
  }
  const D = inputsEmbeds.length / ids.length;
  const slots = ids.filter((id) => id === imgContextId).length;
  const rows = imageEmbeds.length / D;
  if (!Number.isInteger(rows) || rows !== slots) {
    throw new InvalidArgumentError(
      `prompt has ${slots} IMG_CONTEXT tokens (id ${imgContextId}) but ${rows} image embedding rows were given`,
    );
  }
  const out = Float32Array.from(inputsEmbeds);
  let next = 0;
  ids.forEach((id, t) => {
    if (id !== imgContextId) return;
    out.set(imageEmbeds.subarray(next * D, (next + 1) * D), t * D);
    next++;
  });
  return out;
}
