import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { benchModel } from './bench-models';
import { round } from './stats';

/** What one precision's child process reports (see decoder-run.ts). */
interface DecoderRun {
  precision: string;
  prefill_tokens: number;
  prefill_tokens_per_second: number;
  decode_steps: number;
  decode_ms_per_token: number;
  peak_rss_mb: number;
  prefill_4x48_sequential_ms: number;
  prefill_4x48_batched_ms: number;
}

export async function decoderBench(log: (line: string) => void): Promise<Record<string, unknown>> {
  const layers = Number(process.env.BENCH_LAYERS ?? 4);
  const runs: DecoderRun[] = [];
  for (const precision of ['fp32', 'int4'] as const) {
    const model = await benchModel('phi3', layers, precision, log);
    log(`${precision}: running prefill and decode in a fresh process (peak memory is per process)`);
    const child = spawnSync(process.execPath, [join(__dirname, 'decoder-run.js'), model], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (child.status !== 0) throw new Error(`decoder run for ${precision} failed (exit ${child.status})`);
    const run = JSON.parse(child.stdout) as DecoderRun;
    log(
      `${precision}: prefill ${run.prefill_tokens_per_second} tok/s, decode ${run.decode_ms_per_token} ms/token, peak RSS ${run.peak_rss_mb} MB`,
    );
    runs.push(run);
  }
  const [fp32, int4] = runs as [DecoderRun, DecoderRun];
  return {
    model: `Phi-3-mini widths (hidden 3072, 32 heads, head_dim 96, intermediate 8192, vocab 32020), ${layers} layers`,
    runs,
    int4_decode_speedup_vs_fp32: round(fp32.decode_ms_per_token / int4.decode_ms_per_token, 2),
    // The llm tier prefills one prompt per run; batching short prompts pays this much on this machine.
    batched_prefill_speedup: Object.fromEntries(
      runs.map((r) => [r.precision, round(r.prefill_4x48_sequential_ms / r.prefill_4x48_batched_ms, 2)]),
    ),
    goal: 'int4 decode >= 4x faster per token than fp32',
  };
}
