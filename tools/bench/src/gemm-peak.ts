import { performance } from 'node:perf_hooks';
import { GraphBuilder, serializeModel } from '@internvl/onnx';
import { createSession, float32Tensor, type OrtProvider } from '@internvl/ort';

/** Options for {@link measureGemmPeak}. */
export interface GemmPeakOptions {
  /** Rows of A (default 1025 = one InternViT tile: 1024 patches + CLS). */
  m?: number;
  /** Inner dimension (default 1024, InternViT-300M hidden size). */
  k?: number;
  /** Columns of B (default 4096, the ViT MLP width). */
  n?: number;
  /** intraOpNumThreads for the probe session (default: createSession's default). */
  threads?: number;
  /** Timed runs after one warm-up; the best one counts (default 5). */
  iterations?: number;
  /** Provider for the probe (default cpu). */
  provider?: OrtProvider;
}

function randomValues(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

/**
 * Achieved fp32 GEMM throughput of ORT's MatMul on this machine, in GFLOP/s (2·m·k·n per run,
 * best of `iterations`). Benchmarks report it next to model throughput so "achieved vs peak"
 * comes from the same run on the same box.
 */
export async function measureGemmPeak(options: GemmPeakOptions = {}): Promise<number> {
  const { m = 1025, k = 1024, n = 4096, iterations = 5 } = options;
  // a [m, k] · w [k, n] -> y [m, n]
  const g = new GraphBuilder('gemm_peak');
  const a = g.input('a', 'float32', [m, k]);
  const w = g.initializer('w', { type: 'float32', dims: [k, n], data: randomValues(k * n, 1) });
  g.output(g.op('MatMul', [a, w]), 'float32', [m, n]);
  const { session } = await createSession(serializeModel(g), {
    provider: options.provider ?? 'cpu',
    intraOpNumThreads: options.threads,
  });
  try {
    const feeds = { a: float32Tensor(randomValues(m * k, 2), [m, k]) };
    await session.run(feeds);
    let best = Infinity;
    for (let i = 0; i < iterations; i++) {
      const t0 = performance.now();
      await session.run(feeds);
      best = Math.min(best, performance.now() - t0);
    }
    return (2 * m * k * n) / (best * 1e6);
  } finally {
    await session.release();
  }
}
