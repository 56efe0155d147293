/**
 * Tensor names of decoder.onnx, the contract between the graph builder and every runtime that
 * drives it. A step runs `s` new positions for each of `b` rows:
 *
 * - `inputs_embeds [b, s, D]` (decoder dtype)
 * - `rope_cos`, `rope_sin [b, s, headDim/2]` float32: each new position's rotation, computed by the
 *   caller per sequence (rotary.ts), so one sequence's LongRoPE/NTK regime never leaks into another's
 * - `past_key_values.{i}.key|value [b, kvHeads, P, headDim]` (decoder dtype): the cache, read in place
 *   (the caller's buffers, not copied); P may exceed a row's valid length
 * - `past_bias [b, 1, 1, P]` float32: 0 for a valid cached position, -inf for padding
 * - `new_bias [b, 1, s, s]` float32: 0 where new position i may see new position j (causal), -inf elsewhere
 * - `logits_indices [n]` int64: flat indices `row·s + position` whose logits to return
 *
 * Outputs: `logits [n, vocab]` float32 and `new.{i}.key|value [b, kvHeads, s, headDim]`: only the
 * new positions' keys (rotated) and values, for the caller to append to its cache. Never the whole
 * cache: onnxruntime-node copies every fetched output once more.
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
