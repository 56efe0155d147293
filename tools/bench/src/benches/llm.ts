import { Metadata } from '@grpc/grpc-js';
import {
  ElementType,
  ImageLayout,
  LlmServiceClient,
  Role,
  type GenerateHeader,
  type GenerateRequest,
  type GenerationParams,
  type Usage,
  generationParams,
} from '@internvl/contracts';
import { createLlmApp, type LlmRuntime } from '@internvl/llm-service';
import type { ModelManifest } from '@internvl/model-config';
import { chunkBytes, duplexCall, runLocalService } from '@internvl/service-kit';
import { benchModel } from './bench-models';
import { median, round } from './stats';

const envInt = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);

interface StreamResult {
  ttftMs: number;
  totalMs: number;
  tokens: number;
  text: string;
  usage?: Usage;
}

type Turn = { role: Role; text: string };

/** Random image embeddings (float32 rows [tiles·256, hidden]), distinct per seed. */
function imageRows(tiles: number, hidden: number, seed: number): Float32Array {
  let s = (seed * 2654435761) >>> 0;
  return Float32Array.from({ length: tiles * 256 * hidden }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 0.1;
  });
}

/** One greedy Generate call, timed from the client's side. */
async function stream(
  client: LlmServiceClient,
  turns: Turn[],
  maxNewTokens: number,
  image?: { tiles: number; rows: Float32Array },
  extra: Partial<GenerationParams> = {},
): Promise<StreamResult> {
  const header: GenerateHeader = {
    prompt: {
      $case: 'conversation',
      value: { turns, imageLayout: ImageLayout.IMAGE_LAYOUT_UNSPECIFIED },
    },
    images: image
      ? [
          {
            numTiles: image.tiles,
            embeddings: {
              dtype: ElementType.ELEMENT_TYPE_FLOAT32,
              shape: [image.tiles * 256, image.rows.length / (image.tiles * 256)],
              byteLength: image.rows.byteLength,
            },
          },
        ]
      : [],
    // Stop ids are cleared by a huge budget only; random weights may still hit eos early,
    // so rates below use the tokens actually generated.
    params: generationParams({ maxNewTokens, ...extra }),
    returnPrompt: false,
  };
  function* requests(): Generator<GenerateRequest> {
    yield { kind: { $case: 'header', value: header } };
    if (!image) return;
    const bytes = Buffer.from(image.rows.buffer, image.rows.byteOffset, image.rows.byteLength);
    for (const chunk of chunkBytes(bytes)) yield { kind: { $case: 'embeddingChunk', value: chunk } };
  }
  const start = performance.now();
  let first = 0;
  let tokens = 0;
  let text = '';
  let usage: Usage | undefined;
  for await (const response of duplexCall(client.generate(new Metadata()), requests())) {
    if (response.kind?.$case === 'finish') usage = response.kind.value.usage;
    if (response.kind?.$case !== 'delta') continue;
    tokens += response.kind.value.tokenIds.length;
    text += response.kind.value.text;
    if (first === 0) first = performance.now();
  }
  return { ttftMs: first - start, totalMs: performance.now() - start, tokens, text, usage };
}

const decodeRate = (r: StreamResult) => ((r.tokens - 1) / (r.totalMs - r.ttftMs)) * 1000;

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
    Array.from({ length: n }, (_, i) =>
      stream(client, [{ role: Role.ROLE_USER, text: prompt(i) }], maxNewTokens),
    ),
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
 * fp32 and int4 (BENCH_PRECISIONS): prefill tok/s and decode tok/s after a ~570-token text prompt
 * and a ~1820-token 7-tile image prompt; round-2 TTFT of a 2-round image chat against round 1
 * (prefix cache); TTFT and aggregate tok/s at 1, 4 and 16 streams (continuous batching).
 */
export async function llmBench(log: (line: string) => void): Promise<Record<string, unknown>> {
  const layers = envInt('BENCH_LAYERS', 4);
  const threads = envInt('BENCH_THREADS', 2);
  const maxNewTokens = envInt('BENCH_NEW_TOKENS', 32);
  const depthTokens = envInt('BENCH_DEPTH_NEW_TOKENS', 64);
  const words = envInt('BENCH_PROMPT_WORDS', 40);
  const precisions = (process.env.BENCH_PRECISIONS ?? 'fp32,int4').split(',') as ('fp32' | 'int4')[];
  // float16 halves the cache; float32 (the CPU default) is faster to read on CPUs without fp16 math.
  const kvDtype = process.env.BENCH_KV_DTYPE as ModelManifest['kvDtype'] | undefined;
  const prompt = (i: number) =>
    `Request ${i}: ${'describe the picture in detail and '.repeat(Math.ceil(words / 6))}`.trim();
  // ~570 tokens: a long text question; numbered first so no two runs share a prefix block.
  const longText = (i: number) =>
    `Question ${i}: ${'please look closely at every part of this and '.repeat(61)}`;
  const report: Record<string, unknown> = {
    layers,
    threads,
    maxNewTokens,
    depthNewTokens: depthTokens,
    promptWords: words,
  };
  for (const precision of precisions) {
    const model = await benchModel('phi3', layers, precision, log, kvDtype);
    let runtime: LlmRuntime | undefined;
    const { client, stop } = await runLocalService(
      createLlmApp({ onReady: (r) => (runtime = r) }),
      LlmServiceClient,
      [
        '--model',
        model,
        '--intra-op-threads',
        String(threads),
        '--max-active-sequences',
        '16',
        '--log-level',
        'warn',
      ],
      256 << 20,
    );
    const hidden = runtime!.model.hiddenSize;
    const user = (text: string): Turn => ({ role: Role.ROLE_USER, text });
    try {
      log(`${precision}: warm-up`);
      await stream(client, [user(prompt(0))], 4);
      const runs = envInt('BENCH_RUNS', 2);

      const depth = async (label: string, run: (i: number) => Promise<StreamResult>) => {
        const results: StreamResult[] = [];
        for (let i = 0; i < runs; i++) results.push(await run(i));
        const promptTokens = results[0]!.usage?.promptTokens ?? 0;
        const out = {
          promptTokens,
          prefillTokensPerSec: round(median(results.map((r) => (promptTokens / r.ttftMs) * 1000))),
          ttftMs: round(median(results.map((r) => r.ttftMs))),
          decodeTokensPerSec: round(median(results.map(decodeRate))),
          tokens: median(results.map((r) => r.tokens)),
        };
        log(
          `${precision}: ${label}: ${promptTokens} prompt tokens, prefill ${out.prefillTokensPerSec} tok/s, decode ${out.decodeTokensPerSec} tok/s`,
        );
        return out;
      };
      const text570 = await depth('text ~570', (i) => stream(client, [user(longText(i + 1))], depthTokens));
      const image1820 = await depth('7-tile image ~1820', (i) =>
        stream(client, [user(`<image>\nImage ${i}: what is in it?`)], depthTokens, {
          tiles: 7,
          rows: imageRows(7, hidden, 100 + i),
        }),
      );

      // Two rounds about one image: round 2 re-sends the image and the history.
      const image = { tiles: 7, rows: imageRows(7, hidden, 999) };
      const q1 = '<image>\nPlease describe the image shortly.';
      const round1 = await stream(client, [user(q1)], 16, image);
      const round2 = await stream(
        client,
        [user(q1), { role: Role.ROLE_ASSISTANT, text: round1.text }, user('What colours stand out?')],
        16,
        image,
      );
      const twoRounds = {
        round1TtftMs: round(round1.ttftMs),
        round1PromptTokens: round1.usage?.promptTokens ?? 0,
        round2TtftMs: round(round2.ttftMs),
        round2PromptTokens: round2.usage?.promptTokens ?? 0,
        round2CachedTokens: round2.usage?.cachedTokens ?? 0,
        round2TtftVsRound1: round(round2.ttftMs / round1.ttftMs, 3),
        round2CachedShareOfRound1Prompt: round(
          (round2.usage?.cachedTokens ?? 0) / (round1.usage?.promptTokens ?? 1),
          3,
        ),
      };
      log(
        `${precision}: 2-round image chat: TTFT ${twoRounds.round1TtftMs} → ${twoRounds.round2TtftMs} ms, ${twoRounds.round2CachedTokens} cached`,
      );

      // Structured output: the same prompt free and under an ID-card JSON schema (sampled, so the
      // schema's paths are walked), decode ms per step of each.
      const idCard = JSON.stringify({
        type: 'object',
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 24 },
          document: { enum: ['id_card', 'passport'] },
          id_number: { type: 'string', pattern: '^[A-Z]{2}[0-9]{6}$' },
          birth_year: { type: 'integer', minimum: 1900, maximum: 2025 },
        },
        required: ['name', 'document', 'id_number', 'birth_year'],
        additionalProperties: false,
      });
      const msPerStep = async (extra: Partial<GenerationParams>) => {
        const rates: number[] = [];
        for (let i = 0; i < runs + 1; i++) {
          const r = await stream(client, [user(`ID card ${i}: answer in JSON.`)], 64, undefined, {
            temperature: 0.9,
            seed: i + 1,
            ...extra,
          });
          if (r.tokens > 2) rates.push(decodeRate(r));
        }
        return round(1000 / median(rates), 2);
      };
      const freeMs = await msPerStep({});
      const constrainedMs = await msPerStep({ constraint: { $case: 'jsonSchema', value: idCard } });
      const structured = {
        freeMsPerStep: freeMs,
        jsonSchemaMsPerStep: constrainedMs,
        overheadPercent: round((constrainedMs / freeMs - 1) * 100, 1),
      };
      log(`${precision}: decode ${freeMs} ms/step free, ${constrainedMs} with a JSON schema`);

      const solo: StreamResult[] = [];
      for (let i = 0; i < runs; i++) solo.push(await stream(client, [user(prompt(i))], maxNewTokens));
      const one = {
        ttftMs: round(median(solo.map((r) => r.ttftMs))),
        decodeTokensPerSec: round(median(solo.map(decodeRate))),
        tokens: median(solo.map((r) => r.tokens)),
        promptTokens: solo[0]!.usage?.promptTokens ?? 0,
      };
      log(`${precision}: 1 stream: TTFT ${one.ttftMs} ms, ${one.decodeTokensPerSec} tok/s`);
      const c4 = await concurrent(client, runtime!, 4, (i) => prompt(100 + i), maxNewTokens);
      log(
        `${precision}: 4 streams: ${c4.aggregateTokensPerSec} tok/s aggregate, ${c4.decodeTokensPerSec} in decode steps`,
      );
      const c16 = await concurrent(client, runtime!, 16, (i) => prompt(200 + i), maxNewTokens);
      log(
        `${precision}: 16 streams: ${c16.aggregateTokensPerSec} tok/s aggregate, ${c16.decodeTokensPerSec} in decode steps`,
      );
      report[precision] = {
        depth570Text: text570,
        depth1820Image: image1820,
        twoRoundImageChat: twoRounds,
        structuredOutput: structured,
        oneStream: one,
        streams4: c4,
        streams16: c16,
        speedup16vs1Aggregate: round(c16.aggregateTokensPerSec! / one.decodeTokensPerSec),
        speedup16vs1Decode: round(c16.decodeTokensPerSec! / one.decodeTokensPerSec),
        kvCache: runtime!.model.engine.kv,
      };
    } finally {
      await stop('bench done');
    }
  }
  report.goals = [
    'decode and prefill ≥ 1.0× llama.cpp Q4_0 at depth ~570 and ~1820 (run ../shared/anchors/llamacpp-anchor.sh in the same sitting)',
    'round-2 TTFT ≤ 10% of round 1, ≥ 90% of round 1 prompt cached',
    '16-stream aggregate int4 decode ≥ 3× one stream',
    'JSON-schema constrained decode ≤ 10% slower per step than free decode at 1 stream',
  ];
  return report;
}
