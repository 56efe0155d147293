import type { FloatType } from '@internvl/float-formats';
import type { InternVLConfig } from '../model-config';
import { SYMBOLIC_DIMS, type TensorSpec } from './tensor-spec';

/** Tensor names of embed.onnx. */
export const EMBED_IO = { inputIds: 'input_ids', inputsEmbeds: 'inputs_embeds' } as const;

/** embed.onnx's input and output, as {@link embedIo} states them. */
export interface EmbedIo {
  inputIds: TensorSpec;
  inputsEmbeds: TensorSpec;
}

/**
 * embed.onnx's contract for a config, its output in `type` (the manifest's decoderDtype):
 *
 * - `input_ids [batch, seq]` int64
 * - `inputs_embeds [batch, seq, D]`: the token embeddings, in the layout decoder.onnx's
 *   `inputs_embeds` takes (image rows replace the <IMG_CONTEXT> positions in between)
 */
export function embedIo(config: InternVLConfig, type: FloatType): EmbedIo {
  const { batch, seq } = SYMBOLIC_DIMS;
  return {
    inputIds: { name: EMBED_IO.inputIds, type: 'int64', dims: [batch, seq] },
    inputsEmbeds: { name: EMBED_IO.inputsEmbeds, type, dims: [batch, seq, config.llm.hiddenSize] },
  };
}
