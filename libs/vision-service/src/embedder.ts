import { InvalidArgumentError, NotFoundError } from '@internvl/errors';
import { EmbeddingCache } from './embedding-cache';
import type { FloatArray } from '@internvl/float-formats';
import { TileBatcher, type TileSlice } from './tile-batcher';
import type { VisionMetrics } from './vision-metrics';
import type { VisionModel } from './vision-model';
import { EncodeSpans } from './vision-spans';

/** Embeddings of one image: `tiles * 256` rows of the model's width, in the model's dtype. */
export interface Embeddings {
  data: FloatArray;
  tiles: number;
  readonly byteLength: number;
}

/** One request: a cache key, pixels (in the model's dtype), or both. */
export interface EmbedWork {
  cacheKey?: string;
  pixels?: { data: FloatArray; tiles: number };
}

export interface EmbedderOptions {
  model: VisionModel;
  maxBatchTiles: number;
  maxWaitMs: number;
  maxQueueTiles: number;
  queueLimitHint: string;
  cacheBytes: number;
  metrics: VisionMetrics;
}

function embeddings(data: FloatArray, tiles: number): Embeddings {
  return { data, tiles, byteLength: data.byteLength };
}

/** Copies typed arrays of one kind into a new one (no copy for a single array). */
function concat(parts: FloatArray[], length: number): FloatArray {
  if (parts.length === 1) return parts[0]!;
  const out = parts[0] instanceof Float32Array ? new Float32Array(length) : new Uint16Array(length);
  let offset = 0;
  for (const part of parts) {
    (out as Float32Array).set(part as Float32Array, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Pixels → image embeddings through the batch queue and the embedding cache. A request with a
 * cache key is answered from the cache or from an in-flight run of the same key when it can; one
 * with only a key and nothing cached fails with NOT_FOUND so the caller sends pixels.
 */
export class Embedder {
  readonly batcher: TileBatcher<FloatArray, FloatArray>;
  readonly cache: EmbeddingCache<Embeddings>;

  constructor(private readonly options: EmbedderOptions) {
    this.cache = new EmbeddingCache<Embeddings>(options.cacheBytes);
    this.batcher = new TileBatcher<FloatArray, FloatArray>({
      maxBatchTiles: options.maxBatchTiles,
      maxWaitMs: options.maxWaitMs,
      maxQueueTiles: options.maxQueueTiles,
      queueLimitHint: options.queueLimitHint,
      run: (slices, tiles) => this.runBatch(slices, tiles),
      onBatch: (record) => options.metrics.recordBatch(record),
    });
  }

  async embed(work: EmbedWork, signal: AbortSignal): Promise<{ embeddings: Embeddings; cacheHit: boolean }> {
    const { cacheKey, pixels } = work;
    if (!cacheKey) {
      if (!pixels) throw new InvalidArgumentError('EmbedHeader needs pixel_values, a cache_key, or both');
      return { embeddings: await this.encode(pixels.data, pixels.tiles, signal), cacheHit: false };
    }
    const compute = pixels ? () => this.encode(pixels.data, pixels.tiles, signal) : undefined;
    const found = await this.cache.resolve(cacheKey, compute, signal);
    const hit = found !== undefined && found.source !== 'computed';
    this.options.metrics.recordCache(hit);
    if (!found) {
      throw new NotFoundError(
        `cache_key ${cacheKey} is not in the embedding cache; send the request again with pixel_values`,
      );
    }
    if (pixels && found.value.tiles !== pixels.tiles) {
      throw new InvalidArgumentError(
        `cache_key ${cacheKey} holds embeddings of ${found.value.tiles} tiles but pixel_values has ${pixels.tiles}; the key must be the content_hash of these pixels`,
      );
    }
    return { embeddings: found.value, cacheHit: hit };
  }

  close(): Promise<void> {
    return this.batcher.close();
  }

  /** Queues the tiles for a batched run and joins the outputs of its slices. */
  private async encode(data: FloatArray, tiles: number, signal: AbortSignal): Promise<Embeddings> {
    const spans = new EncodeSpans(tiles);
    try {
      const parts = await this.batcher.submit(data, tiles, {
        signal,
        onStart: (start) => {
          this.options.metrics.recordQueueWait(start.waitMs);
          spans.started(start.waitMs, start.batchTiles, start.batchRequests);
        },
      });
      spans.end();
      return embeddings(concat(parts, tiles * this.options.model.embedsPerTile), tiles);
    } catch (err) {
      spans.end(err);
      throw err;
    }
  }

  /** One model run over the slices' tiles; splits the output back per slice. */
  private async runBatch(slices: readonly TileSlice<FloatArray>[], tiles: number): Promise<FloatArray[]> {
    const { model } = this.options;
    const inPerTile = model.pixelsPerTile;
    const views = slices.map((s) => s.payload.subarray(s.start * inPerTile, (s.start + s.count) * inPerTile));
    // A lone whole request moves its pixels to the inference thread: nothing runs them again (only
    // the slices of a failed shared run are re-run, and a shared run works on a copy).
    const output = await model.run(concat(views, tiles * inPerTile), tiles);
    if (slices.length === 1) return [output];
    const outPerTile = model.embedsPerTile;
    let tile = 0;
    return slices.map((s) => {
      // slice(), not subarray(): a cached request must not keep the whole batch's output alive.
      const part = output.slice(tile * outPerTile, (tile + s.count) * outPerTile);
      tile += s.count;
      return part;
    });
  }
}
