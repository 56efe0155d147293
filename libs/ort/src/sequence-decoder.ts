import type { FloatArray, FloatType } from '@internvl/float-formats';
import { DECODER_IO, rotaryRegime, writeRotaryRows, type LlmConfig } from '@internvl/model-config';
import { appendKvRows, decoderFeeds, decoderFetches, kvTensor, pastBias } from './decoder-step';
import type { OrtSession } from './ort-types';
import { toFloat32 } from './tensors';

/**
 * decoder.onnx driven for one sequence with a cache that doubles when full: the plain way to run a
 * converted decoder (graph tests, the decoder benchmark). The llm tier's engine has the real cache.
 */
export class SequenceDecoder {
  private keys: FloatArray[] = [];
  private values: FloatArray[] = [];
  private capacity = 0;
  /** Positions in the cache. */
  length = 0;

  constructor(
    private readonly session: OrtSession,
    private readonly llm: LlmConfig,
    private readonly dtype: FloatType,
  ) {}

  /**
   * Runs the next `count` positions (embeds [count, hidden]) as part of a forward over
   * `regimeLength` tokens (the whole prompt for each prefill chunk, position + 1 for a decode step)
   * and returns the logits of its last `keep` positions [keep, vocab].
   */
  async run(embeds: FloatArray, count: number, regimeLength: number, keep = 1): Promise<Float32Array> {
    const { numLayers, numKvHeads: KV, headDim: HD, hiddenSize } = this.llm;
    this.reserve(this.length + count);
    const half = HD / 2;
    const cos = new Float32Array(count * half);
    const sin = new Float32Array(count * half);
    const positions = Array.from({ length: count }, (_, t) => this.length + t);
    writeRotaryRows(rotaryRegime(this.llm, regimeLength), positions, cos, sin);
    const dims = [1, KV, this.capacity, HD];
    const out = await this.session.run(
      decoderFeeds({
        rows: 1,
        seqLen: count,
        hiddenSize,
        embeds,
        cos,
        sin,
        pastKeys: this.keys.map((k) => kvTensor(k, dims)),
        pastValues: this.values.map((v) => kvTensor(v, dims)),
        pastBias: pastBias([this.length], this.capacity),
        logitsIndices: Array.from({ length: keep }, (_, k) => count - keep + k),
      }),
      decoderFetches(numLayers),
    );
    for (let i = 0; i < numLayers; i++) {
      for (const [cache, name] of [
        [this.keys[i]!, DECODER_IO.newKey(i)],
        [this.values[i]!, DECODER_IO.newValue(i)],
      ] as const) {
        appendKvRows(cache, this.capacity, out[name]!.data as FloatArray, KV, count, HD, [
          { from: 0, row: 0, at: this.length },
        ]);
      }
    }
    this.length += count;
    return toFloat32(out[DECODER_IO.logits]!);
  }

  private reserve(positions: number): void {
    if (positions <= this.capacity) return;
    const { numLayers, numKvHeads: KV, headDim: HD } = this.llm;
    const capacity = Math.max(positions, this.capacity * 2, 16);
    const grow = (old: FloatArray): FloatArray => {
      const next =
        this.dtype === 'float16' ? new Uint16Array(KV * capacity * HD) : new Float32Array(KV * capacity * HD);
      for (let h = 0; h < KV; h++) {
        (next as Float32Array).set(
          (old as Float32Array).subarray(h * this.capacity * HD, (h * this.capacity + this.length) * HD),
          h * capacity * HD,
        );
      }
      return next;
    };
    const empty = (): FloatArray => (this.dtype === 'float16' ? new Uint16Array(0) : new Float32Array(0));
    if (this.keys.length === 0) {
      this.keys = Array.from({ length: numLayers }, empty);
      this.values = Array.from({ length: numLayers }, empty);
    }
    this.keys = this.keys.map(grow);
    this.values = this.values.map(grow);
    this.capacity = capacity;
  }
}
