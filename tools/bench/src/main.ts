#!/usr/bin/env node
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';

/** A benchmark: returns the figures for the JSON report; logs progress on stderr. */
type Bench = (log: (line: string) => void) => Promise<Record<string, unknown>>;

const BENCHES: Record<string, { summary: string; load: () => Bench }> = {
  vision: {
    summary: 'vision.onnx ms per tile and GFLOP/s vs the measured GEMM peak (real-width, 2-layer checkpoint)',
    load: () => require('./benches/vision').visionBench as Bench,
  },
  decoder: {
    summary:
      'decoder.onnx prefill tok/s, decode ms/token, peak memory, batched vs one-by-one prefill of short prompts, fp32 vs int4 (real width, BENCH_LAYERS=4)',
    load: () => require('./benches/decoder').decoderBench as Bench,
  },
  'vision-service': {
    summary: 'tiles/s through the vision tier at concurrency 1, 4, 16 (1-tile requests), mean batch size',
    load: () => require('./benches/vision-service').visionServiceBench as Bench,
  },
  llm: {
    summary:
      'llm tier prefill and decode tok/s at depth ~570 (text) and ~1820 (7-tile image), 2-round image chat TTFT (prefix cache), 1/4/16 streams, fp32 and int4 (real width, BENCH_LAYERS=4)',
    load: () => require('./benches/llm').llmBench as Bench,
  },
  e2e: {
    summary:
      'the 4-process stack: TTFT and latency p50/p95 at concurrency 1 and 8, gateway vs calling the tiers directly',
    load: () => require('./benches/e2e').e2eBench as Bench,
  },
  preprocess: {
    summary:
      'ms per image (1920x1200, 4000x3000 JPEG, max_num 12), images/s at 8 concurrent, vs the Python reference',
    load: () => require('./benches/preprocess').preprocessBench as Bench,
  },
};

const REPO_ROOT = resolve(__dirname, '..', '..', '..');

async function main(): Promise<number> {
  const names = process.argv.slice(2);
  if (names.length === 0 || names.includes('--help')) {
    process.stdout.write(
      `Usage: npm run bench -- <name>...\n\n${Object.entries(BENCHES)
        .map(([n, b]) => `  ${n.padEnd(15)} ${b.summary}`)
        .join('\n')}\n\nReports go to reports/bench-<name>.json.\n`,
    );
    return names.length === 0 ? 2 : 0;
  }
  for (const name of names) {
    const bench = BENCHES[name];
    if (!bench) {
      process.stderr.write(`bench: unknown benchmark '${name}'; known: ${Object.keys(BENCHES).join(', ')}\n`);
      return 2;
    }
    const started = new Date();
    const figures = await bench.load()((line) => process.stderr.write(`[${name}] ${line}\n`));
    const report = {
      bench: name,
      date: started.toISOString(),
      machine: { cpus: cpus().length, cpu_model: cpus()[0]?.model, node: process.version },
      ...figures,
    };
    const dir = join(REPO_ROOT, 'reports');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `bench-${name}.json`);
    writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    process.stderr.write(`[${name}] report written to ${file}\n`);
  }
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
