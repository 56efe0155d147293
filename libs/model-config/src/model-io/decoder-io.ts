import type { FloatType } from '@internvl/float-formats';
import type { InternVLConfig } from '../model-config';
import { SYMBOLIC_DIMS, type TensorSpec } from './tensor-spec';

/**
 * Tensor names of decoder.onnx, the contract between the graph builder and every runtime that
 * drives it. A step runs `s` (seq) new positions for each of `b` (batch) rows; {@link decoderIo}
 * has the dims and types:
 *
 * - `inputs_embeds [b, s, D]` (decoder dtype)
 * - `rope_cos`, `rope_sin [b, s, headDim/2]` float32: each new position's rotation, computed by the
 *   caller per sequence (rotary.ts), so one sequence's LongRoPE/NTK regime never leaks into another's
 * - `past_key_values.{i}.key|value [b, kvHeads, P, headDim]` (KV dtype): the cache, read in place
 *   (the caller's buffers, not copied); P (past_seq) may exceed a row's valid length
 * - `past_bias [b, 1, 1, P]` float32: 0 for a valid cached position, -inf for padding
 * - `new_bias [b, 1, s, s]` float32: 0 where new position i may see new position j (causal), -inf elsewhere
 * - `logits_indices [n]` int64: flat indices `row·s + position` whose logits to return
 *
 * Outputs: `logits [n, vocab]` float32 and `new.{i}.key|value [b, kvHeads, s, headDim]` (KV dtype):
 * only the new positions' keys (rotated) and values, for the caller to append to its cache. Never
 * the whole cache: onnxruntime-node copies every fetched output once more.
 */
export const DECODER_IO = {
  inputsEmbeds: 'inputs_embeds',
  ropeCos: 'rope_cos',
  ropeSin: 'rope_sin',
  pastBias: 'past_bias',
  newBias: 'new_bias',
  logitsIndices: 'logits_indices',
  logits: 'logits',
  pastKey: (i: number) => `past_key_values.${i}.key`,
  pastValue: (i: number) => `past_key_values.${i}.value`,
  newKey: (i: number) => `new.${i}.key`,
  newValue: (i: number) => `new.${i}.value`,
} as const;

/** decoder.onnx's inputs and outputs, as {@link decoderIo} states them; per-layer ones by layer index. */
export interface DecoderIo {
  inputsEmbeds: TensorSpec;
  ropeCos: TensorSpec;
  ropeSin: TensorSpec;
  pastBias: TensorSpec;
  newBias: TensorSpec;
  logitsIndices: TensorSpec;
  logits: TensorSpec;
  pastKey(layer: number): TensorSpec;
  pastValue(layer: number): TensorSpec;
  newKey(layer: number): TensorSpec;
  newValue(layer: number): TensorSpec;
}

/**
 * decoder.onnx's contract ({@link DECODER_IO}) for a config: `type` is the manifest's decoderDtype
 * (inputs_embeds), `kvType` its kvDtype (past and new K/V).
 */
export function decoderIo(config: InternVLConfig, types: { type: FloatType; kvType: FloatType }): DecoderIo {
  const { batch, seq, pastSeq, logitsRows } = SYMBOLIC_DIMS;
  const { hiddenSize, headDim, numKvHeads, vocabSize } = config.llm;
  const { type, kvType } = types;
  const kv = (name: string, positions: string): TensorSpec => ({
    name,
    type: kvType,
    dims: [batch, numKvHeads, positions, headDim],
  });
  return {
    inputsEmbeds: { name: DECODER_IO.inputsEmbeds, type, dims: [batch, seq, hiddenSize] },
    ropeCos: { name: DECODER_IO.ropeCos, type: 'float32', dims: [batch, seq, headDim / 2] },
    ropeSin: { name: DECODER_IO.ropeSin, type: 'float32', dims: [batch, seq, headDim / 2] },
    pastBias: { name: DECODER_IO.pastBias, type: 'float32', dims: [batch, 1, 1, pastSeq] },
    newBias: { name: DECODER_IO.newBias, type: 'float32', dims: [batch, 1, seq, seq] },
    logitsIndices: { name: DECODER_IO.logitsIndices, type: 'int64', dims: [logitsRows] },
    logits: { name: DECODER_IO.logits, type: 'float32', dims: [logitsRows, vocabSize] },
    pastKey: (i) => kv(DECODER_IO.pastKey(i), pastSeq),
    pastValue: (i) => kv(DECODER_IO.pastValue(i), pastSeq),
    newKey: (i) => kv(DECODER_IO.newKey(i), seq),
    newValue: (i) => kv(DECODER_IO.newValue(i), seq),
  };
}
