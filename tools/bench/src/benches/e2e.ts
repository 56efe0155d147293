import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Metadata } from '@grpc/grpc-js';
import { makeTinyCheckpoint } from '@internvl/checkpoint';
import {
  ChatServiceClient,
  ImageLayout,
  Role,
  type ChatInput,
  type StreamChatResponse,
  generationParams,
} from '@internvl/contracts';
import { convertCheckpoint } from '@internvl/converter';
import { ChatOrchestrator, closeTiers, createTiers } from '@internvl/gateway-service';
import { createClient } from '@internvl/service-kit';
import { BENCH_MODELS_DIR, isCurrentModel } from './bench-models';
import { round } from './stats';

const REPO_ROOT = resolve(__dirname, '..', '..', '..', '..');
const CLI = join(REPO_ROOT, 'tools', 'cli', 'dist', 'main.js');
const envInt = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** The model the stack serves: BENCH_E2E_MODEL, or the default tiny model (as `npm start`). */
async function e2eModel(log: (line: string) => void): Promise<string> {
  if (process.env.BENCH_E2E_MODEL) return process.env.BENCH_E2E_MODEL;
  const dir = join(BENCH_MODELS_DIR, 'tiny-phi3-seed0-fp32');
  if (!isCurrentModel(dir)) {
    log(`creating the tiny model in ${dir} (once)`);
    makeTinyCheckpoint(`${dir}-checkpoint`, { llm: 'phi3', seed: 0 });
    await convertCheckpoint({ from: `${dir}-checkpoint`, to: dir, precision: 'fp32' });
  }
  return dir;
}

/** A JPEG that decodes like `base` but hashes differently (bytes after EOI are ignored): a cache miss. */
function unique(base: Buffer): Buffer {
  return Buffer.concat([base, randomBytes(16)]);
}

function input(image: Buffer | undefined, maxNewTokens: number): ChatInput {
  const tiling = { minTiles: 0, maxTiles: 6, imageSize: 0, autoOrient: false, dtype: 0 };
  const imagePart = image ? [{ part: { $case: 'image' as const, value: { data: image, tiling } } }] : [];
  return {
    messages: [
      {
        role: Role.ROLE_USER,
        content: [...imagePart, { part: { $case: 'text', value: 'Describe the image in detail.' } }],
      },
    ],
    params: generationParams({ maxNewTokens }),
    imageLayout: ImageLayout.IMAGE_LAYOUT_UNSPECIFIED,
  };
}

interface Timing {
  ttftMs: number;
  totalMs: number;
}

/** Times one streamed chat: to the first text delta, and to the end. */
async function timed(events: AsyncIterable<StreamChatResponse>): Promise<Timing> {
  const start = performance.now();
  let ttft = 0;
  for await (const event of events) {
    if (ttft === 0 && event.kind?.$case === 'delta') ttft = performance.now() - start;
  }
  return { ttftMs: ttft, totalMs: performance.now() - start };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(timings: Timing[]): Record<string, number> {
  const ttft = timings.map((t) => t.ttftMs);
  const total = timings.map((t) => t.totalMs);
  return {
    requests: timings.length,
    ttftMsP50: round(percentile(ttft, 50)),
    ttftMsP95: round(percentile(ttft, 95)),
    latencyMsP50: round(percentile(total, 50)),
    latencyMsP95: round(percentile(total, 95)),
  };
}

/** `requests` chats, `concurrency` at a time. */
async function load(
  run: (chat: ChatInput) => AsyncIterable<StreamChatResponse>,
  concurrency: number,
  requests: number,
  make: () => ChatInput,
): Promise<Timing[]> {
  const out: Timing[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        next++;
        out.push(await timed(run(make())));
      }
    }),
  );
  return out;
}

/**
 * The four tiers as processes (`internvl serve all`) on the default tiny model (or BENCH_E2E_MODEL):
 * TTFT and latency p50/p95 of image chats at concurrency 1 and 8 through the gateway, and the same
 * chats orchestrated from this process straight to the tiers — the difference is the gateway's cost.
 */
export async function e2eBench(log: (line: string) => void): Promise<Record<string, unknown>> {
  const model = await e2eModel(log);
  const requests = envInt('BENCH_E2E_REQUESTS', 24);
  const maxNewTokens = envInt('BENCH_NEW_TOKENS', 16);
  const [gateway, preprocess, vision, llm, http] = await Promise.all([1, 2, 3, 4, 5].map(() => freePort()));
  const stack: ChildProcess = spawn(
    process.execPath,
    [
      CLI,
      'serve',
      'all',
      '--model',
      model,
      '--no-metrics',
      '--gateway-port',
      String(gateway),
      '--preprocess-port',
      String(preprocess),
      '--vision-port',
      String(vision),
      '--llm-port',
      String(llm),
      '--http-port',
      String(http),
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        INTERNVL_GATEWAY_LOG_LEVEL: 'warn',
        INTERNVL_PREPROCESS_LOG_LEVEL: 'warn',
        INTERNVL_VISION_LOG_LEVEL: 'warn',
        INTERNVL_LLM_LOG_LEVEL: 'warn',
      },
    },
  );
  const limits = { maxReceiveMessageBytes: 64 << 20, maxSendMessageBytes: 64 << 20 };
  const client = createClient(ChatServiceClient, { addresses: [`127.0.0.1:${gateway}`], ...limits });
  const tiers = createTiers({
    preprocess_addr: [`127.0.0.1:${preprocess}`],
    vision_addr: [`127.0.0.1:${vision}`],
    llm_addr: [`127.0.0.1:${llm}`],
    downstream_tls_ca_file: '',
  });
  const direct = new ChatOrchestrator({
    tiers,
    limits: { maxImages: 16, maxTotalTiles: 128, defaultMaxTiles: 12 },
    defaultTimeoutMs: 0,
  });
  const viaGateway = (chat: ChatInput): AsyncIterable<StreamChatResponse> =>
    client.streamChat(
      { input: chat, returnPrompt: false },
      new Metadata(),
    ) as AsyncIterable<StreamChatResponse>;
  const straight = (chat: ChatInput) => direct.stream(chat, { signal: new AbortController().signal });
  const image = readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'images', 'image1.jpg'));
  try {
    log('waiting for the stack');
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        await timed(viaGateway(input(image, 1)));
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const report: Record<string, unknown> = { model, requests, maxNewTokens, maxTiles: 6 };
    for (const [label, concurrency, withImage] of [
      ['concurrency1', 1, true],
      ['concurrency8', 8, true],
      // Text only: the llm hop alone, where the gateway's own cost is the largest share.
      ['textOnlyConcurrency1', 1, false],
    ] as const) {
      const results: Record<'gateway' | 'direct', Timing[]> = { gateway: [], direct: [] };
      // Two rounds each, alternating, so drift (caches, JIT) does not favour one path.
      for (const pass of [1, 2]) {
        for (const [name, run] of [
          ['direct', straight],
          ['gateway', viaGateway],
        ] as const) {
          log(`${label}: ${name}, round ${pass}`);
          const make = () => input(withImage ? unique(image) : undefined, maxNewTokens);
          results[name].push(...(await load(run, concurrency, requests / 2, make)));
        }
      }
      const g = summary(results.gateway);
      const d = summary(results.direct);
      report[label] = {
        gateway: g,
        direct: d,
        gatewayAddedMs: {
          ttftP50: round(g.ttftMsP50! - d.ttftMsP50!),
          latencyP50: round(g.latencyMsP50! - d.latencyMsP50!),
          latencyP95: round(g.latencyMsP95! - d.latencyMsP95!),
        },
      };
      log(`${label}: gateway ${JSON.stringify(g)} direct ${JSON.stringify(d)}`);
    }
    return report;
  } finally {
    client.close();
    closeTiers(tiers);
    stack.kill('SIGTERM');
    await new Promise((r) => stack.once('exit', r));
  }
}
