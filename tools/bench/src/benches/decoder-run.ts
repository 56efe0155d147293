// Child process of the decoder benchmark: loads one model directory, times a 512-token prefill and
// single-token decode steps, prints JSON. Runs alone so its peak RSS is its own.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelManifest } from '@internvl/model-config';
import { createSession, SequenceDecoder } from '@internvl/ort';

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
