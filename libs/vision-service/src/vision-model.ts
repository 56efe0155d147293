import { join } from 'node:path';
import { visionIo, type ModelManifest } from '@internvl/model-config';
import { readModelDirectory, type OrtProvider } from '@internvl/ort';
import type { FloatArray, FloatType } from '@internvl/float-formats';
import { InferenceThread, transferable } from '@internvl/service-kit';
import type { InferenceThreadConfig, VisionRunRequest, VisionThreadReady } from './inference-protocol';

export interface VisionModelOptions {
  /** Model directory (manifest.json + vision.onnx). */
  dir: string;
  provider: OrtProvider;
  deviceId: number;
  requireGpu: boolean;
  intraOpThreads: number;
  /** Receives the CUDA→CPU fallback warning. */
  warn: (message: string) => void;
}

/**
 * The vision encoder of a model directory: one ORT session of vision.onnx (InternViT + pixel
 * shuffle + mlp1), owned by a dedicated inference thread so runs never block the event loop.
 * Its element type (float32, or float16 for fp16 models) is the manifest's visionDtype; callers
 * hand it pixels already in that type. Should the thread die, pending runs fail and the next run
 * opens the session again.
 */
export class VisionModel {
  private runCount = 0;
  private readonly thread: InferenceThread<VisionRunRequest, FloatArray, VisionThreadReady>;
  /** The provider the session got (cuda can fall back to cpu). */
  private currentProvider: OrtProvider;

  private constructor(
    readonly manifest: ModelManifest,
    threadConfig: InferenceThreadConfig,
    warn: (message: string) => void,
  ) {
    this.currentProvider = threadConfig.provider;
    this.thread = new InferenceThread({
      script: join(__dirname, 'vision-worker.js'),
      workerData: threadConfig,
      name: 'vision inference thread',
      warn,
      onReady: (ready) => (this.currentProvider = ready.provider),
    });
  }

  /** Reads the manifest and opens vision.onnx on the inference thread. */
  static async load(options: VisionModelOptions): Promise<VisionModel> {
    const directory = readModelDirectory(options.dir, '--model DIR (or INTERNVL_VISION_MODEL)');
    const { manifest } = directory;
    const file = directory.file('vision');
    const model = new VisionModel(
      manifest,
      {
        file,
        io: visionIo(manifest.config, manifest.visionDtype),
        provider: options.provider,
        deviceId: options.deviceId,
        requireGpu: options.requireGpu,
        intraOpThreads: options.intraOpThreads,
      },
      options.warn,
    );
    await model.thread.start();
    return model;
  }

  get name(): string {
    return this.manifest.name;
  }

  /** The execution provider in use. */
  get provider(): OrtProvider {
    return this.currentProvider;
  }

  /** Element type of pixel_values and image_embeds in this model. */
  get dtype(): FloatType {
    return this.manifest.visionDtype;
  }

  /** Tile edge in pixels (448). */
  get imageSize(): number {
    return this.manifest.config.imageSize;
  }

  /** Embedding rows per tile (256). */
  get tokensPerTile(): number {
    return this.manifest.config.numImageTokens;
  }

  /** Width of an embedding row: the LLM's hidden size. */
  get embeddingDim(): number {
    return this.manifest.config.llm.hiddenSize;
  }

  /** Values of one tile's pixel_values. */
  get pixelsPerTile(): number {
    return 3 * this.imageSize * this.imageSize;
  }

  /** Values of one tile's embeddings. */
  get embedsPerTile(): number {
    return this.tokensPerTile * this.embeddingDim;
  }

  /** Model runs started so far, warm-up included. */
  get runs(): number {
    return this.runCount;
  }

  /**
   * pixel_values [n,3,448,448] -> image_embeds [n,256,d]: one forward pass over `tiles` tiles,
   * on the inference thread (vision-worker.ts). `pixels` are in this model's dtype, and so is the
   * result (or float32 on a runtime that hands out float16 as numbers). An array spanning its
   * whole buffer moves to the inference thread (the caller must not use it again); a view is copied.
   */
  async run(pixels: FloatArray, tiles: number): Promise<FloatArray> {
    this.runCount++;
    // A view is copied first: a structured clone would copy its entire underlying buffer.
    const moved = transferable(pixels);
    return this.thread.call(
      (id) => ({ type: 'run', id, pixels: moved, tiles }),
      [moved.buffer as ArrayBuffer],
    );
  }

  /** One run on a blank tile, so the first request does not pay for ORT's lazy initialization. */
  async warmUp(): Promise<void> {
    const n = this.pixelsPerTile;
    await this.run(this.dtype === 'float32' ? new Float32Array(n) : new Uint16Array(n), 1);
  }

  /** Releases the session and ends the inference thread. */
  release(): Promise<void> {
    return this.thread.release();
  }
}
