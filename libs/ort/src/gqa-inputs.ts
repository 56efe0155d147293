import { InvalidArgumentError } from '@internvl/errors';
import type { OrtTensor } from './ort-types';
import { float32Tensor, int32Tensor } from './tensors';

/** The two length inputs of one GroupQueryAttention step. */
export interface GqaLengthInputs {
  seqlens_k: OrtTensor;
  total_sequence_length: OrtTensor;
}

/**
 * Builds `seqlens_k` and `total_sequence_length` from each row's total length after this step.
 *
 * Conventions of com.microsoft GroupQueryAttention as verified against a plain
 * JS causal attention with rotate_half RoPE (onnxruntime-node 1.30, CPU; see gqa.spec.ts).
 *
 * Inputs, in order: `query [B, S, num_heads·head]`, `key`/`value [B, S, kv_heads·head]` (or a
 * packed `query [B, S, (num_heads + 2·kv_heads)·head]` with key/value `''`), `past_key`/
 * `past_value [B, kv_heads, P, head]`, `seqlens_k`, `total_sequence_length`, `cos_cache`/
 * `sin_cache [max_positions, head/2]`. Outputs: `output [B, S, num_heads·head]`,
 * `present_key`/`present_value`.
 *
 * - `seqlens_k` int32 `[B]` = each row's total length after this step minus 1
 *   (past tokens + new tokens − 1), not the past length.
 * - `total_sequence_length` int32 scalar (shape `[]`; `[1]` also works) = the largest total length
 *   in the batch. With max-length past buffers any value up to the buffer length gives the same result.
 * - RoPE positions come from the lengths: row b's new tokens sit at
 *   `seqlens_k[b] + 1 − S … seqlens_k[b]`, so prefill, chunked prefill (S > 1 on top of a past)
 *   and decode need no position input. do_rotary needs head_size % 16 == 0 on CPU (checked at
 *   run time, not at session creation).
 * - Past as long as the past (P = past length; P = 0 for the first prefill, a zero-size tensor):
 *   present is `[B, kv_heads, P + S, head]`, the past with the new keys appended.
 * - Past as a max-length buffer (P = max_len, rows valid up to their own lengths): present has
 *   the same `[B, kv_heads, max_len, head]` shape with the new keys written at each row's
 *   positions. Rows of different lengths decode together in one call (continuous batching);
 *   without IO binding, present is a fresh copy of the whole buffer each step.
 * - present keys are stored after RoPE; cos/sin caches are indexed by absolute position.
 */
export function gqaLengthInputs(totalLengths: readonly number[]): GqaLengthInputs {
  if (totalLengths.length === 0 || totalLengths.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new InvalidArgumentError(`GQA total lengths must be positive integers, got [${totalLengths}]`);
  }
  return {
    seqlens_k: int32Tensor(
      totalLengths.map((n) => n - 1),
      [totalLengths.length],
    ),
    total_sequence_length: int32Tensor([Math.max(...totalLengths)], []),
  };
}

/** A zeroed float32 KV buffer `[batch, kvHeads, length, headSize]` (length 0 for a first prefill). */
export function emptyKvTensor(batch: number, kvHeads: number, length: number, headSize: number): OrtTensor {
  return float32Tensor(new Float32Array(batch * kvHeads * length * headSize), [
    batch,
    kvHeads,
    length,
    headSize,
  ]);
}
