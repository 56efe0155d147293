import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import type { ChatServiceClient } from '@internvl/contracts';
import { assistant, chatClient, chatInput, streamChat, user, type Answer } from './support/chat-calls';
import sharp from 'sharp';
import { CLI } from './support/paths';
import { startServer, type RunningProcess } from './support/processes';
import { metricValue } from './support/stack';
import { buildTinyModel } from './support/tiny-model';

const serve = (tier: string, args: string[]) =>
  startServer(CLI, ['serve', tier, '--port', '0', '--metrics-port', '0', ...args]);
const address = (p: RunningProcess) => `127.0.0.1:${p.port}`;
/** The llm prefix cache's block: only whole blocks of a prompt are cached. */
const PREFIX_BLOCK_TOKENS = 16;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A small JPEG of its own per number, so every chat has its own cache key. */
function picture(n: number): Promise<Buffer> {
  const background = { r: (n * 37) % 256, g: (n * 91) % 256, b: (n * 53) % 256 };
  return sharp({ create: { width: 480 + n, height: 360, channels: 3, background } })
    .jpeg()
    .toBuffer();
}

async function question(n: number): Promise<ReturnType<typeof user>> {
  return user('What is in the picture?', [await picture(n)], 2);
}

describe('replicas on loopback: preprocess ×1, vision ×2, llm ×2 behind one gateway with address lists', () => {
  let preprocess: RunningProcess;
  let visions: RunningProcess[];
  let llms: RunningProcess[];
  const gateways: RunningProcess[] = [];

  async function gateway(args: string[] = [], replicas = 2): Promise<ChatServiceClient> {
    const g = await serve('gateway', [
      '--preprocess-addr',
      address(preprocess),
      '--vision-addr',
      visions.slice(0, replicas).map(address).join(','),
      '--llm-addr',
      llms.slice(0, replicas).map(address).join(','),
      '--http-port',
      '0',
      ...args,
    ]);
    gateways.push(g);
    return chatClient(address(g));
  }

  const preprocessed = async () =>
    (await metricValue(preprocess.metricsPort!, 'internvl_preprocess_images_total')) ?? 0;

  before(async () => {
    const model = await buildTinyModel();
    [preprocess, ...visions] = await Promise.all([
      serve('preprocess', []),
      serve('vision', ['--model', model]),
      serve('vision', ['--model', model]),
    ]);
    llms = await Promise.all([serve('llm', ['--model', model]), serve('llm', ['--model', model])]);
  });
  after(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await Promise.all([preprocess, ...visions, ...llms].map((p) => p?.stop('SIGKILL')));
  });

  /**
   * Two rounds of `n` conversations (round 2 re-sends the image with the history): the share of
   * round-2 images served from a vision cache (not preprocessed again), and of round-2 chats
   * whose whole round-1 prompt (its full 16-token prefix-cache blocks) came from an llm cache.
   */
  async function cacheHitRates(client: ChatServiceClient, n: number, first: number) {
    const questions = await Promise.all(Array.from({ length: n }, (_, i) => question(first + i)));
    const round1: Answer[] = [];
    for (const q of questions) round1.push(await streamChat(client, chatInput([q], 8)));
    const before = await preprocessed();
    let historyHits = 0;
    for (let i = 0; i < n; i++) {
      const input = chatInput([questions[i]!, assistant(round1[i]!.text), user('And then?')], 8);
      const cached = (await streamChat(client, input)).finish!.usage!.cachedTokens;
      const history = round1[i]!.finish!.usage!.promptTokens;
      if (cached >= Math.floor(history / PREFIX_BLOCK_TOKENS) * PREFIX_BLOCK_TOKENS) historyHits += 1;
    }
    const misses = (await preprocessed()) - before;
    return { visionHitRate: (n - misses) / n, llmHistoryHitRate: historyHits / n };
  }

  test('affinity keeps caches hot: with 2 replicas of each, round 2 hits as with one replica', async (t) => {
    // 7 conversations: an odd count, so taking replicas in turn does not land round 2 where round 1 was by chance.
    const oneReplica = await cacheHitRates(await gateway([], 1), 7, 0);
    const withAffinity = await cacheHitRates(await gateway(), 7, 100);
    const inTurn = await cacheHitRates(await gateway(['--no-replica-affinity']), 7, 200);
    t.diagnostic(
      `round-2 cache hits — 1 replica: ${JSON.stringify(oneReplica)}; 2 replicas with affinity: ${JSON.stringify(withAffinity)}; 2 replicas in turn: ${JSON.stringify(inTurn)}`,
    );
    assert.deepEqual(oneReplica, { visionHitRate: 1, llmHistoryHitRate: 1 }, 'one replica finds everything');
    assert.deepEqual(withAffinity, oneReplica, 'two replicas with affinity hit as one does');
    assert.ok(inTurn.visionHitRate < 1 && inTurn.llmHistoryHitRate < 1, 'replicas in turn lose hits');
  });

  test('SIGKILL of one vision and one llm replica under load: the 12 chats in flight and every later one succeed', async () => {
    const client = await gateway();
    // Frozen first, so that chats routed to them are in flight there (sent, nothing answered) when
    // they die: the case where a request was lost before.
    const [deadVision, deadLlm] = [visions[1]!, llms[1]!];
    deadVision.proc.kill('SIGSTOP');
    deadLlm.proc.kill('SIGSTOP');
    const questions = await Promise.all(Array.from({ length: 12 }, (_, i) => question(200 + i)));
    const inFlight = questions.map((q) => streamChat(client, chatInput([q], 8)));
    await sleep(1_000);
    deadVision.proc.kill('SIGKILL');
    deadLlm.proc.kill('SIGKILL');
    const answers = await Promise.allSettled(inFlight);
    const failed = answers.flatMap((a, i) =>
      a.status === 'rejected' ? [`chat ${i}: ${String(a.reason)}`] : [],
    );
    assert.deepEqual(failed, [], 'no chat in flight was lost');
    for (const a of answers) assert.ok(a.status === 'fulfilled' && a.value.tokenIds.length > 0);

    const laterQuestions = await Promise.all(Array.from({ length: 8 }, (_, i) => question(300 + i)));
    const later = await Promise.allSettled(laterQuestions.map((q) => streamChat(client, chatInput([q], 8))));
    assert.deepEqual(
      later.flatMap((a, i) => (a.status === 'rejected' ? [`chat ${i}: ${String(a.reason)}`] : [])),
      [],
      'every chat after the kill succeeds',
    );
  });
});
