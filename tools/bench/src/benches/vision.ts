import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VISION_IO, type ModelManifest } from '@internvl/model-config';
import { createSession, float32Tensor } from '@internvl/ort';
import { measureGemmPeak } from '../gemm-peak';
import { benchModel } from './bench-models';
import { median, round } from './stats';

/** FLOPs of one tile through vision.onnx: encoder layers, attention, patch conv and mlp1. */
export function visionFlopsPerTile(m: ModelManifest, layers: number): number {
  const v = m.config.vision;
  const C = v.hiddenSize;
  const grid = m.config.imageSize / v.patchSize;
  const T = grid * grid + 1;
  const perLayer = 2 * T * (4 * C * C + 2 * C * v.intermediateSize) + 4 * T * T * C;
  const conv = 2 * grid * grid * C * 3 * v.patchSize * v.patchSize;
  const D4 = C * 4;
  const D = m.config.llm.hiddenSize;
  const mlp1 = 2 * m.config.numImageTokens * (D4 * D + D * D);
  return layers * perLayer + conv + mlp1;
}

export async function visionBench(log: (line: string) => void): Promise<Record<string, unknown>> {
  const layers = Number(process.env.BENCH_LAYERS ?? 2);
  const threads = Number(process.env.BENCH_THREADS ?? 2);
  const model = await benchModel('phi3', layers, 'fp32', log);
  const manifest = JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8')) as ModelManifest;
  log(`measuring the fp32 GEMM peak (ORT MatMul 1025x1024x4096, ${threads} threads)`);
  const peak = await measureGemmPeak({ threads });
  log(`GEMM peak ${round(peak)} GFLOP/s`);
  const { session } = await createSession(join(model, manifest.files.vision), {
    provider: 'cpu',
    intraOpNumThreads: threads,
  });
  const S = manifest.config.imageSize;
  const results: Record<string, unknown>[] = [];
  for (const tiles of [1, 4]) {
    const pixels = float32Tensor(
      new Float32Array(tiles * 3 * S * S).map((_, i) => Math.sin(i) * 1.5),
      [tiles, 3, S, S],
    );
    await session.run({ [VISION_IO.pixelValues]: pixels });
    const times: number[] = [];
    for (let i = 0; i < Number(process.env.BENCH_RUNS ?? 3); i++) {
      const t0 = performance.now();
      await session.run({ [VISION_IO.pixelValues]: pixels });
      times.push(performance.now() - t0);
    }
    const msPerTile = median(times) / tiles;
    const gflops = visionFlopsPerTile(manifest, layers) / (msPerTile / 1000) / 1e9;
    log(
      `batch ${tiles}: ${round(msPerTile)} ms per tile, ${round(gflops)} GFLOP/s = ${round((100 * gflops) / peak)}% of peak`,
    );
    results.push({
      batch_tiles: tiles,
      ms_per_tile: round(msPerTile),
      gflops: round(gflops),
      fraction_of_peak: round(gflops / peak, 3),
    });
  }
  return {
    model: `InternViT-300M widths (C ${manifest.config.vision.hiddenSize}, I ${manifest.config.vision.intermediateSize}), ${layers} layers + pixel shuffle + mlp1 → ${manifest.config.llm.hiddenSize}`,
    threads,
    gemm_peak_gflops: round(peak),
    flops_per_tile: visionFlopsPerTile(manifest, layers),
    runs: results,
    goal: 'vision at >= 70% of the measured GEMM peak',
  };
}
