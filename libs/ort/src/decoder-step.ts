import { InvalidArgumentError } from '@internvl/errors';
import type { FloatArray } from '@internvl/float-formats';
import { DECODER_IO } from '@internvl/model-config';
import type { OrtFeeds, OrtTensor } from './ort-types';
import { float16Tensor, float32Tensor, int64Tensor } from './tensors';

/** A decoder tensor of the decoder's dtype over `data` (no copy). */
export function kvTensor(data: FloatArray, dims: readonly number[]): OrtTensor {
  return data instanceof Uint16Array ? float16Tensor(data, dims) : float32Tensor(data, dims);
}

/** One decoder.onnx run: `seqLen` new positions for each of `rows` rows (DECODER_IO has the shapes). */
export interface DecoderStepInput {
  rows: number;
  seqLen: number;
  hiddenSize: number;
  /** [rows, seqLen, hidden] */
  embeds: FloatArray;
  /** [rows, seqLen, headDim/2] each */
  cos: Float32Array;
  sin: Float32Array;
  /** Per layer, [rows, kvHeads, capacity, headDim] tensors over the caller's cache buffers. */
  pastKeys: OrtTensor[];
  pastValues: OrtTensor[];
  /** [rows, 1, 1, capacity] */
  pastBias: Float32Array;
  /** [rows, 1, seqLen, seqLen]; causal when omitted. */
  newBias?: Float32Array;
  /** Flat row·seqLen + position indices whose logits come back. */
  logitsIndices: readonly number[];
}

/** 0 on and below the diagonal, -inf above: each new position sees itself and those before it. */
export function causalBias(rows: number, seqLen: number): Float32Array {
  const bias = new Float32Array(rows * seqLen * seqLen);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < seqLen; i++) {
      bias.fill(-Infinity, (r * seqLen + i) * seqLen + i + 1, (r * seqLen + i + 1) * seqLen);
    }
  }
  return bias;
}

/** [rows, 1, 1, capacity]: 0 for the first `lengths[r]` positions of row r, -inf for the rest. */
export function pastBias(lengths: readonly number[], capacity: number): Float32Array {
  const bias = new Float32Array(lengths.length * capacity).fill(-Infinity);
  lengths.forEach((n, r) => {
    if (n > capacity)
      throw new InvalidArgumentError(`a cache row of ${n} positions exceeds its capacity ${capacity}`);
    bias.fill(0, r * capacity, r * capacity + n);
  });
  return bias;
}

/** The feeds of one run; `numLayers` past tensors of each kind are expected. */
export function decoderFeeds(step: DecoderStepInput): OrtFeeds {
  const { rows, seqLen } = step;
  const half = step.cos.length / (rows * seqLen);
  const capacity = step.pastBias.length / rows;
  const feeds: OrtFeeds = {
    [DECODER_IO.inputsEmbeds]: kvTensor(step.embeds, [rows, seqLen, step.hiddenSize]),
    [DECODER_IO.ropeCos]: float32Tensor(step.cos, [rows, seqLen, half]),
    [DECODER_IO.ropeSin]: float32Tensor(step.sin, [rows, seqLen, half]),
    [DECODER_IO.pastBias]: float32Tensor(step.pastBias, [rows, 1, 1, capacity]),
    [DECODER_IO.newBias]: float32Tensor(step.newBias ?? causalBias(rows, seqLen), [rows, 1, seqLen, seqLen]),
    [DECODER_IO.logitsIndices]: int64Tensor([...step.logitsIndices], [step.logitsIndices.length]),
  };
  step.pastKeys.forEach((t, i) => (feeds[DECODER_IO.pastKey(i)] = t));
  step.pastValues.forEach((t, i) => (feeds[DECODER_IO.pastValue(i)] = t));
  return feeds;
}

/** The outputs a run should return: logits and the new K/V rows, never the cache. */
export function decoderFetches(numLayers: number): string[] {
  const names: string[] = [DECODER_IO.logits];
  for (let i = 0; i < numLayers; i++) names.push(DECODER_IO.newKey(i), DECODER_IO.newValue(i));
  return names;
}

/** Where one row of a run's new K/V goes: fresh row `from` → cache row `row` at position `at`. */
export interface KvWrite {
  from: number;
  row: number;
  at: number;
}

/**
 * Copies new K/V rows `[rows, heads, seqLen, headDim]` into a cache `[rows', heads, capacity,
 * headDim]` as `writes` say.
 */
export function appendKvRows(
  cache: FloatArray,
  capacity: number,
  fresh: FloatArray,
  heads: number,
  seqLen: number,
  headDim: number,
  writes: readonly KvWrite[],
): void {
  const span = seqLen * headDim;
  for (const { from, row, at } of writes) {
    if (at + seqLen > capacity) {
      throw new InvalidArgumentError(`${at + seqLen} cache positions exceed the capacity ${capacity}`);
    }
    for (let h = 0; h < heads; h++) {
      const src = (from * heads + h) * span;
      (cache as Float32Array).set(
        (fresh as Float32Array).subarray(src, src + span),
        ((row * heads + h) * capacity + at) * headDim,
      );
    }
  }
}
