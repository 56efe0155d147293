import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { domainErrorFromKind, InternalError } from '@internvl/errors';
import { readModelDirectory, type ModelManifest } from '@internvl/model-config';
import type { OrtProvider } from '@internvl/ort';
import type { FloatArray, FloatType } from '@internvl/float-formats';
import type { FromInferenceThread, InferenceThreadConfig, ThreadError } from './inference-protocol';

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

const revive = (e: ThreadError) => domainErrorFromKind(e.kind, e.message);

interface PendingRun {
  resolve(embeds: FloatArray): void;
  reject(err: unknown): void;
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
  private nextId = 1;
  private readonly pending = new Map<number, PendingRun>();
  private worker: Worker | undefined;
  private starting: Promise<Worker> | undefined;
  private closing = false;

  private constructor(
    readonly manifest: ModelManifest,
    private readonly threadConfig: InferenceThreadConfig,
    private readonly warn: (message: string) => void,
    /** The provider the session got (cuda can fall back to cpu). */
    private currentProvider: OrtProvider,
  ) {}

  /** Reads the manifest and opens vision.onnx on the inference thread. */
  static async load(options: VisionModelOptions): Promise<VisionModel> {
    const directory = readModelDirectory(options.dir, '--model DIR (or INTERNVL_VISION_MODEL)');
    const { manifest } = directory;
    const file = directory.file('vision');
    const model = new VisionModel(
      manifest,
      {
        file,
        dtype: manifest.visionDtype,
        imageSize: manifest.config.imageSize,
        tokensPerTile: manifest.config.numImageTokens,
        embeddingDim: manifest.config.llm.hiddenSize,
        provider: options.provider,
        deviceId: options.deviceId,
        requireGpu: options.requireGpu,
        intraOpThreads: options.intraOpThreads,
      },
      options.warn,
      options.provider,
    );
    await model.thread();
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
    return this.threadConfig.imageSize;
  }

  /** Embedding rows per tile (256). */
  get tokensPerTile(): number {
    return this.threadConfig.tokensPerTile;
  }

  /** Width of an embedding row: the LLM's hidden size. */
  get embeddingDim(): number {
    return this.threadConfig.embeddingDim;
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
    const worker = await this.thread();
    const id = this.nextId++;
    this.runCount++;
    return new Promise<FloatArray>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      // Moved, not copied, when it is a whole buffer; a view is copied first (a structured clone
      // would copy its entire underlying buffer).
      const whole = pixels.byteOffset === 0 && pixels.byteLength === pixels.buffer.byteLength;
      const moved = whole ? pixels : pixels.slice();
      worker.postMessage({ type: 'run', id, pixels: moved, tiles }, [moved.buffer as ArrayBuffer]);
    });
  }

  /** One run on a blank tile, so the first request does not pay for ORT's lazy initialization. */
  async warmUp(): Promise<void> {
    const n = this.pixelsPerTile;
    await this.run(this.dtype === 'float32' ? new Float32Array(n) : new Uint16Array(n), 1);
  }

  /** Releases the session and ends the inference thread. */
  async release(): Promise<void> {
    this.closing = true;
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.ref();
    worker.postMessage({ type: 'release' });
    await exited;
  }

  /** An idle thread must not keep the process alive (a forgotten model would never let it exit). */
  private idle(worker: Worker): void {
    if (this.pending.size === 0 && !this.closing) worker.unref();
  }

  /** The running inference thread, started (again) when there is none. */
  private thread(): Promise<Worker> {
    if (this.closing) return Promise.reject(new InternalError('the vision model was released'));
    if (this.worker) return Promise.resolve(this.worker);
    this.starting ??= this.start().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private start(): Promise<Worker> {
    // The thread keeps the process alive only while it loads, runs or releases (see idle()).
    const worker = new Worker(join(__dirname, 'vision-worker.js'), { workerData: this.threadConfig });
    return new Promise<Worker>((resolve, reject) => {
      worker.on('message', (message: FromInferenceThread) => {
        switch (message.type) {
          case 'warn':
            this.warn(message.message);
            break;
          case 'ready':
            this.currentProvider = message.provider;
            this.worker = worker;
            this.idle(worker);
            resolve(worker);
            break;
          case 'failed':
            reject(revive(message.error));
            void worker.terminate();
            break;
          case 'result': {
            const run = this.pending.get(message.id);
            this.pending.delete(message.id);
            if (message.ok) run?.resolve(message.embeds);
            else run?.reject(revive(message.error));
            this.idle(worker);
            break;
          }
        }
      });
      const lost = (why: string) => {
        if (this.worker === worker) this.worker = undefined;
        const err = new InternalError(`the vision inference thread ${why}`);
        reject(err);
        for (const run of this.pending.values()) run.reject(err);
        this.pending.clear();
      };
      worker.on('error', (err) => lost(`crashed: ${err.message}`));
      worker.on('exit', (code) => {
        if (!this.closing) lost(`exited with code ${code}`);
      });
    });
  }
}
