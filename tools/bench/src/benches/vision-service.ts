import { availableParallelism } from 'node:os';
import { ElementType, VisionServiceClient } from '@internvl/contracts';
import { runLocalService } from '@internvl/service-kit';
import { embedRemote, type EmbedPixels } from '@internvl/tier-clients';
import { createVisionApp, type VisionRuntime } from '@internvl/vision-service';
import { benchModel } from './bench-models';
import { median, round } from './stats';

const envInt = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);

/** One fp16 tile of pixel_values in the normalized range (the wire default between tiers). */
function tile(size: number): EmbedPixels {
  const bits = new Uint16Array(3 * size * size);
  // 0x3c00 = 1.0, 0xbc00 = -1.0 in binary16: a fixed pattern; values do not change the cost.
  for (let i = 0; i < bits.length; i++) bits[i] = (i * 7919) % 3 === 0 ? 0xbc00 : 0x3c00;
  return {
    bytes: Buffer.from(bits.buffer),
    shape: [1, 3, size, size],
    dtype: ElementType.ELEMENT_TYPE_FLOAT16,
  };
}

/**
 * Tiles/s through the vision tier (in-process, real gRPC on loopback) at concurrency 1, 4 and 16
 * with 1-tile requests, on the real-width InternViT checkpoint: dynamic batching at work.
 */
export async function visionServiceBench(log: (line: string) => void): Promise<Record<string, unknown>> {
  const layers = envInt('BENCH_LAYERS', 2);
  const threads = envInt('BENCH_THREADS', availableParallelism());
  const maxBatchTiles = envInt('BENCH_MAX_BATCH_TILES', 8);
  const maxWaitMs = envInt('BENCH_MAX_WAIT_MS', 5);
  const levels: Array<[number, number]> = [
    [1, envInt('BENCH_TILES_C1', 6)],
    [4, envInt('BENCH_TILES_C4', 16)],
    [16, envInt('BENCH_TILES_C16', 32)],
  ];
  const model = await benchModel('phi3', layers, 'fp32', log);
  let runtime: VisionRuntime | undefined;
  const { client, stop } = await runLocalService(
    createVisionApp({ onReady: (r) => (runtime = r) }),
    VisionServiceClient,
    [
      '--model',
      model,
      '--intra-op-threads',
      String(threads),
      '--max-batch-tiles',
      String(maxBatchTiles),
      '--max-wait-ms',
      String(maxWaitMs),
      '--log-level',
      'warn',
    ],
  );
  const { batcher } = runtime!.embedder;
  const pixels = tile(runtime!.model.imageSize);
  const results: Array<Record<string, number>> = [];
  try {
    for (const [concurrency, requests] of levels) {
      log(`concurrency ${concurrency}: ${requests} requests of 1 tile`);
      const before = { ...batcher.stats };
      const latencies: number[] = [];
      let next = 0;
      const started = performance.now();
      // Requests carry no cache key: every tile is encoded.
      const worker = async () => {
        while (next < requests) {
          next++;
          const t0 = performance.now();
          await embedRemote(client, { pixels, outputDtype: ElementType.ELEMENT_TYPE_UNSPECIFIED });
          latencies.push(performance.now() - t0);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      const seconds = (performance.now() - started) / 1000;
      const runs = batcher.stats.runs - before.runs;
      const tiles = batcher.stats.tiles - before.tiles;
      const row = {
        concurrency,
        requests,
        tiles_per_s: round(tiles / seconds, 3),
        mean_batch_tiles: round(tiles / runs, 2),
        runs,
        latency_ms_p50: round(median(latencies)),
      };
      log(
        `  ${row.tiles_per_s} tiles/s, mean batch ${row.mean_batch_tiles} tiles over ${runs} runs, p50 ${row.latency_ms_p50} ms`,
      );
      results.push(row);
    }
  } finally {
    await stop('bench done');
  }
  const at = (c: number) => results.find((r) => r.concurrency === c)?.tiles_per_s ?? NaN;
  return {
    model: `real-width InternViT-300M (${layers} layers) + pixel shuffle + mlp1 → ${runtime!.model.embeddingDim}, fp32`,
    provider: runtime!.model.provider,
    intra_op_threads: threads,
    max_batch_tiles: maxBatchTiles,
    max_wait_ms: maxWaitMs,
    levels: results,
    throughput_16_vs_1: round(at(16) / at(1), 2),
  };
}
