// Child process of the decoder benchmark: loads one model directory, times a 512-token prefill and
// single-token decode steps, prints JSON. Runs alone so its peak RSS is its own.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelManifest } from '@internvl/model-config';
import {
  createSession,
  decoderFeeds,
  decoderFetches,
  kvTensor,
  pastBias,
  SequenceDecoder,
  type OrtSession,
} from '@internvl/ort';

/**
 * Several short prompts in one run (rows of a batch) against one run each: whether batching
 * prefills pays. Returns ms for `prompts` sequential runs and for the one batched run.
 */
async function batchedPrefill(
  session: OrtSession,
  m: ModelManifest,
  prompts: number,
  tokens: number,
): Promise<{ sequentialMs: number; batchedMs: number }> {
  const l = m.config.llm;
  const feeds = (rows: number) => {
    const empty = () => kvTensor(new Float32Array(0), [rows, l.numKvHeads, 0, l.headDim]);
    return decoderFeeds({
      rows,
      seqLen: tokens,
      hiddenSize: l.hiddenSize,
      embeds: new Float32Array(rows * tokens * l.hiddenSize).map((_, i) => Math.sin(i) * 0.05),
      cos: new Float32Array((rows * tokens * l.headDim) / 2).fill(1),
      sin: new Float32Array((rows * tokens * l.headDim) / 2),
      pastKeys: Array.from({ length: l.numLayers }, empty),
      pastValues: Array.from({ length: l.numLayers }, empty),
      pastBias: pastBias(new Array<number>(rows).fill(0), 0),
      logitsIndices: Array.from({ length: rows }, (_, r) => r * tokens + tokens - 1),
    });
  };
  const one = feeds(1);
  const all = feeds(prompts);
  const fetches = decoderFetches(l.numLayers);
  await session.run(one, fetches);
  await session.run(all, fetches);
  const t0 = performance.now();
  for (let i = 0; i < prompts; i++) await session.run(one, fetches);
  const t1 = performance.now();
  await session.run(all, fetches);
  return { sequentialMs: t1 - t0, batchedMs: performance.now() - t1 };
}

async function main(): Promise<void> {
  const dir = process.argv[2]!;
  const threads = Number(process.env.BENCH_THREADS ?? 2);
  const prefillTokens = Number(process.env.BENCH_PREFILL ?? 512);
  const decodeSteps = Number(process.env.BENCH_DECODE_STEPS ?? 32);
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ModelManifest;
  const l = m.config.llm;
  const { session } = await createSession(join(dir, m.files.decoder), {
    provider: 'cpu',
    intraOpNumThreads: threads,
  });
  const embeds = (t: number) => new Float32Array(t * l.hiddenSize).map((_, i) => Math.sin(i) * 0.05);
  const warm = new SequenceDecoder(session, l, 'float32');
  await warm.run(embeds(16), 16, 16);
  await warm.run(embeds(1), 1, 17);
  const decoder = new SequenceDecoder(session, l, 'float32');
  const t0 = performance.now();
  await decoder.run(embeds(prefillTokens), prefillTokens, prefillTokens);
  const prefillMs = performance.now() - t0;
  await decoder.run(embeds(1), 1, decoder.length + 1); // warm-up of the decode shapes
  const t1 = performance.now();
  for (let s = 0; s < decodeSteps; s++) await decoder.run(embeds(1), 1, decoder.length + 1);
  const decodeMs = (performance.now() - t1) / decodeSteps;
  const batched = await batchedPrefill(session, m, 4, 48);
  process.stdout.write(
    JSON.stringify({
      precision: m.precision,
      prefill_tokens: prefillTokens,
      prefill_tokens_per_second: Number(((prefillTokens * 1000) / prefillMs).toFixed(1)),
      decode_steps: decodeSteps,
      decode_ms_per_token: Number(decodeMs.toFixed(2)),
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      // 4 prompts of 48 tokens: 4 runs vs one 4-row run.
      prefill_4x48_sequential_ms: Number(batched.sequentialMs.toFixed(1)),
      prefill_4x48_batched_ms: Number(batched.batchedMs.toFixed(1)),
    }),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`decoder-run: ${String(err)}\n`);
  process.exit(1);
});
