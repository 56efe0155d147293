import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelManifest } from '@internvl/model-config';
import {
  createSession,
  float32Tensor,
  int64Tensor,
  toFloat32,
  type OrtSession,
  type OrtTensor,
} from '@internvl/ort';

/** A converted model directory loaded in ORT, with a plain greedy loop (test support; the llm tier has the real one). */
export class OrtModel {
  private constructor(
    readonly manifest: ModelManifest,
    readonly vision: OrtSession,
    readonly embed: OrtSession,
    readonly decoder: OrtSession,
  ) {}

  static async load(dir: string): Promise<OrtModel> {
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ModelManifest;
    const open = async (file: string) =>
      (await createSession(join(dir, file), { provider: 'cpu', intraOpNumThreads: 2 })).session;
    return new OrtModel(
      manifest,
      await open(manifest.files.vision),
      await open(manifest.files.embed),
      await open(manifest.files.decoder),
    );
  }

  async imageEmbeds(pixels: Float32Array, tiles: number): Promise<Float32Array> {
    const S = this.manifest.config.imageSize;
    const out = await this.vision.run({ pixel_values: float32Tensor(pixels, [tiles, 3, S, S]) });
    return toFloat32(out.image_embeds!);
  }

  async embedIds(ids: number[]): Promise<Float32Array> {
    const out = await this.embed.run({ input_ids: int64Tensor(ids, [1, ids.length]) });
    return toFloat32(out.inputs_embeds!);
  }

  /** One decoder forward; returns fp32 logits [t, vocab] and the new KV cache. */
  async forward(
    embeds: Float32Array,
    t: number,
    past: OrtTensor[][] | undefined,
    total: number,
  ): Promise<{ logits: Float32Array; present: OrtTensor[][] }> {
    const l = this.manifest.config.llm;
    const feeds: Record<string, OrtTensor> = {
      inputs_embeds: float32Tensor(embeds, [1, t, l.hiddenSize]),
      attention_mask: int64Tensor(new Array<number>(total).fill(1), [1, total]),
      logits_to_keep: int64Tensor([0], []),
    };
    for (let i = 0; i < l.numLayers; i++) {
      const empty = float32Tensor(new Float32Array(0), [1, l.numKvHeads, 0, l.headDim]);
      feeds[`past_key_values.${i}.key`] = past ? past[i]![0]! : empty;
      feeds[`past_key_values.${i}.value`] = past ? past[i]![1]! : empty;
    }
    const out = await this.decoder.run(feeds);
    return {
      logits: toFloat32(out.logits!),
      present: Array.from({ length: l.numLayers }, (_, i) => [
        out[`present.${i}.key`]!,
        out[`present.${i}.value`]!,
      ]),
    };
  }

  /** Greedy decoding with the KV cache: image rows replace <IMG_CONTEXT> embeddings in order. */
  async greedy(
    promptIds: number[],
    imageEmbeds: Float32Array | undefined,
    maxNewTokens: number,
  ): Promise<number[]> {
    const { hiddenSize: D, vocabSize: V } = this.manifest.config.llm;
    const embeds = await this.embedIds(promptIds);
    if (imageEmbeds) {
      let row = 0;
      promptIds.forEach((id, t) => {
        if (id === this.manifest.tokens.imageContext)
          embeds.set(imageEmbeds.subarray(row * D, ++row * D), t * D);
      });
    }
    const out: number[] = [];
    let { logits, present } = await this.forward(embeds, promptIds.length, undefined, promptIds.length);
    let last = logits.subarray((promptIds.length - 1) * V);
    for (let step = 0; step < maxNewTokens; step++) {
      let best = 0;
      for (let v = 1; v < V; v++) if (last[v]! > last[best]!) best = v;
      out.push(best);
      if (this.manifest.tokens.stop.includes(best)) break;
      const total = promptIds.length + out.length;
      ({ logits, present } = await this.forward(await this.embedIds([best]), 1, present, total));
      last = logits;
    }
    return out;
  }
}
