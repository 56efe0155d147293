import { Metadata } from '@grpc/grpc-js';
import { ImageLayout, LlmServiceClient, Role, type GenerateRequest } from '@internvl/contracts';
import { createLlmApp, type LlmRuntime } from '@internvl/llm-service';
import { createClient, duplexCall, runService } from '@internvl/service-kit';
import { benchModel } from './bench-models';
import { median, round } from './stats';

const envInt = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);

interface StreamResult {
  ttftMs: number;
  totalMs: number;
  tokens: number;
}

/** One greedy Generate call, timed from the client's side. */
async function stream(
  client: LlmServiceClient,
  question: string,
  maxNewTokens: number,
): Promise<StreamResult> {
  const header: GenerateRequest = {
    kind: {
      $case: 'header',
      value: {
        prompt: {
          $case: 'conversation',
          value: {
            turns: [{ role: Role.ROLE_USER, text: question }],
            imageLayout: ImageLayout.IMAGE_LAYOUT_UNSPECIFIED,
          },
        },
        images: [],
        // Stop ids are cleared by a huge budget only; random weights may still hit eos early,
        // so rates below use the tokens actually generated.
        params: { maxNewTokens, temperature: 0, topK: 0, stop: [], stopTokenIds: [] },
        returnPrompt: false,
      },
    },
  };
  const start = performance.now();
  let first = 0;
  let tokens = 0;
  for await (const response of duplexCall(client.generate(new Metadata()), [header])) {
    if (response.kind?.$case !== 'delta') continue;
    tokens += response.kind.value.tokenIds.length;
    if (first === 0) first = performance.now();
  }
  return { ttftMs: first - start, totalMs: performance.now() - start, tokens };
}

/** `n` concurrent streams: aggregate tokens/s over the wall time, and over decode steps only. */
async function concurrent(
  client: LlmServiceClient,
  runtime: LlmRuntime,
  n: number,
  prompt: (i: number) => string,
  maxNewTokens: number,
): Promise<Record<string, number>> {
  const before = { ...runtime.scheduler.stats };
  const start = performance.now();
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) => stream(client, prompt(i), maxNewTokens)),
  );
  const wallMs = performance.now() - start;
  const after = runtime.scheduler.stats;
  const tokens = results.reduce((a, r) => a + r.tokens, 0);
  const decodeTokens = after.decodeTokens - before.decodeTokens;
  const decodeMs = after.decodeMs - before.decodeMs;
  return {
    streams: n,
    tokens,
    wallMs: round(wallMs),
    aggregateTokensPerSec: round((tokens / wallMs) * 1000),
    decodeTokensPerSec: round((decodeTokens / decodeMs) * 1000),
    meanBatch: round(decodeTokens / (after.steps - before.steps)),
    ttftMsMedian: round(median(results.map((r) => r.ttftMs))),
    ttftMsMax: round(Math.max(...results.map((r) => r.ttftMs))),
  };
}

/**
 * The llm tier in-process over real gRPC on the real-width Phi-3 decoder (BENCH_LAYERS layers),
 * fp32 and int4: TTFT and decode tokens/s of one stream, aggregate tokens/s at 4 and 16 streams
 * (continuous batching). Goal: 16 streams ≥ 4× one stream.
 */
export async function llmBench(log: (line: string) => void): Promise<Record<string, unknown>> {
  const layers = envInt('BENCH_LAYERS', 2);
  const threads = envInt('BENCH_THREADS', 2);
  const maxNewTokens = envInt('BENCH_NEW_TOKENS', 32);
  const words = envInt('BENCH_PROMPT_WORDS', 40);
  const prompt = (i: number) =>
    `Request ${i}: ${'describe the picture in detail and '.repeat(Math.ceil(words / 6))}`.trim();
  const report: Record<string, unknown> = { layers, threads, maxNewTokens, promptWords: words };
  for (const precision of ['fp32', 'int4'] as const) {
    const model = await benchModel('phi3', layers, precision, log);
    let runtime: LlmRuntime | undefined;
    const service = await runService(createLlmApp({ onReady: (r) => (runtime = r) }), {
      argv: [
        '--port',
        '0',
        '--model',
        model,
        '--intra-op-threads',
        String(threads),
        '--max-active-sequences',
        '16',
        '--log-level',
        'warn',
      ],
      env: {},
    });
    const client = createClient(LlmServiceClient, {
      addresses: [`127.0.0.1:${service.port}`],
      maxReceiveMessageBytes: 64 << 20,
      maxSendMessageBytes: 64 << 20,
    });
    try {
      log(`${precision}: warm-up`);
      await stream(client, prompt(0), 4);
      const solo: StreamResult[] = [];
      for (let i = 0; i < envInt('BENCH_RUNS', 3); i++)
        solo.push(await stream(client, prompt(i), maxNewTokens));
      const decodeRate = (r: StreamResult) => ((r.tokens - 1) / (r.totalMs - r.ttftMs)) * 1000;
      const one = {
        ttftMs: round(median(solo.map((r) => r.ttftMs))),
        decodeTokensPerSec: round(median(solo.map(decodeRate))),
        tokens: median(solo.map((r) => r.tokens)),
        promptTokens: runtime!.model.tokenizer.encode(prompt(0)).length,
      };
      log(`${precision}: 1 stream: TTFT ${one.ttftMs} ms, ${one.decodeTokensPerSec} tok/s`);
      const c4 = await concurrent(client, runtime!, 4, prompt, maxNewTokens);
      log(
        `${precision}: 4 streams: ${c4.aggregateTokensPerSec} tok/s aggregate, ${c4.decodeTokensPerSec} in decode steps`,
      );
      const c16 = await concurrent(client, runtime!, 16, prompt, maxNewTokens);
      log(
        `${precision}: 16 streams: ${c16.aggregateTokensPerSec} tok/s aggregate, ${c16.decodeTokensPerSec} in decode steps`,
      );
      report[precision] = {
        oneStream: one,
        streams4: c4,
        streams16: c16,
        speedup16vs1Aggregate: round(c16.aggregateTokensPerSec! / one.decodeTokensPerSec),
        speedup16vs1Decode: round(c16.decodeTokensPerSec! / one.decodeTokensPerSec),
      };
    } finally {
      client.close();
      await service.stop('bench done');
    }
  }
  report.goal = '16-stream aggregate decode throughput ≥ 4× one stream';
  return report;
}
