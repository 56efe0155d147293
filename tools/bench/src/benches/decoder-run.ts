// Child process of the decoder benchmark: loads one model directory, times a 512-token prefill and
// single-token decode steps, prints JSON. Runs alone so its peak RSS is its own.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelManifest } from '@internvl/model-config';
import { createSession, float32Tensor, int64Tensor, type OrtTensor } from '@internvl/ort';

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
  const embeds = (t: number) =>
    float32Tensor(
      new Float32Array(t * l.hiddenSize).map((_, i) => Math.sin(i) * 0.05),
      [1, t, l.hiddenSize],
    );
  const run = async (t: number, past: OrtTensor[][] | undefined, total: number) => {
    const feeds: Record<string, OrtTensor> = {
      inputs_embeds: embeds(t),
      attention_mask: int64Tensor(new Array<number>(total).fill(1), [1, total]),
      // Only the last position's logits, as the llm tier asks for.
      logits_to_keep: int64Tensor([1], []),
    };
    for (let i = 0; i < l.numLayers; i++) {
      const empty = float32Tensor(new Float32Array(0), [1, l.numKvHeads, 0, l.headDim]);
      feeds[`past_key_values.${i}.key`] = past ? past[i]![0]! : empty;
      feeds[`past_key_values.${i}.value`] = past ? past[i]![1]! : empty;
    }
    const out = await session.run(feeds);
    return Array.from({ length: l.numLayers }, (_, i) => [
      out[`present.${i}.key`]!,
      out[`present.${i}.value`]!,
    ]);
  };
  await run(16, undefined, 16); // warm-up
  const t0 = performance.now();
  let past = await run(prefillTokens, undefined, prefillTokens);
  const prefillMs = performance.now() - t0;
  await run(1, past, prefillTokens + 1); // warm-up of the decode shapes
  const t1 = performance.now();
  for (let s = 0; s < decodeSteps; s++) past = await run(1, past, prefillTokens + 1 + s);
  const decodeMs = (performance.now() - t1) / decodeSteps;
  process.stdout.write(
    JSON.stringify({
      precision: m.precision,
      prefill_tokens: prefillTokens,
      prefill_tokens_per_second: Number(((prefillTokens * 1000) / prefillMs).toFixed(1)),
      decode_steps: decodeSteps,
      decode_ms_per_token: Number(decodeMs.toFixed(2)),
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`decoder-run: ${String(err)}\n`);
  process.exit(1);
});
