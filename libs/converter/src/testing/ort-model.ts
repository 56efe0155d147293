import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EMBED_IO, VISION_IO, type ModelManifest } from '@internvl/model-config';
import {
  createSession,
  float32Tensor,
  int64Tensor,
  SequenceDecoder,
  toFloat32,
  type OrtSession,
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
    const out = await this.vision.run({ [VISION_IO.pixelValues]: float32Tensor(pixels, [tiles, 3, S, S]) });
    return toFloat32(out[VISION_IO.imageEmbeds]!);
  }

  async embedIds(ids: number[]): Promise<Float32Array> {
    const out = await this.embed.run({ [EMBED_IO.inputIds]: int64Tensor(ids, [1, ids.length]) });
    return toFloat32(out[EMBED_IO.inputsEmbeds]!);
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
    const decoder = new SequenceDecoder(this.decoder, this.manifest.config.llm, 'float32');
    let last = await decoder.run(embeds, promptIds.length, promptIds.length);
    for (let step = 0; step < maxNewTokens; step++) {
      let best = 0;
      for (let v = 1; v < V; v++) if (last[v]! > last[best]!) best = v;
      out.push(best);
      if (this.manifest.tokens.stop.includes(best)) break;
      last = await decoder.run(await this.embedIds([best]), 1, decoder.length + 1);
    }
    return out;
  }
}
