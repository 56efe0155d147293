import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import type { ChatInput, ChatResponse, ChatServiceClient } from '@internvl/contracts';
import { METRIC_BUCKETS, PROMETHEUS_NAME, SCOPE_NAME } from '@internvl/service-kit';
import { localMeters, type LocalMeters } from '@internvl/telemetry';
import { GatewayMetrics } from './gateway-metrics';
import { chat, startChatService, text, user } from './testing/chat-fixtures';
import { answer, delta, FakeChatEngine, hangAfter } from './openai/testing/fake-chat-engine';
import { MODEL, postJson, startTestServer, type TestServer } from './openai/testing/openai-test-server';

const NAME = PROMETHEUS_NAME.gateway;
const ROUTE = 'internvl_gateway_route';
const STATUS = 'internvl_gateway_status';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function samples(textFormat: string): Sample[] {
  const out: Sample[] = [];
  for (const line of textFormat.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]),
    );
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the one sample of `name` with these labels (0 when there is none). */
function valueOf(all: Sample[], name: string, labels: Record<string, string>): number {
  const found = all.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  assert.ok(found.length <= 1, `one ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}

/** The `le` boundaries of a histogram's buckets for one label set. */
function bucketsOf(all: Sample[], name: string, labels: Record<string, string>): string[] {
  return all
    .filter((s) => s.name === `${name}_bucket` && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .map((s) => s.labels.le!);
}

const asLe = (buckets: readonly number[]) => [...buckets.map(String), '+Inf'];

describe('gateway metrics: requests by route and status, TTFT as the client sees it', () => {
  let meters: LocalMeters;
  let http: TestServer;
  let grpc: Awaited<ReturnType<typeof startChatService>>;
  let grpcEngine: FakeChatEngine;
  before(async () => {
    meters = localMeters();
    const metrics = new GatewayMetrics(meters.getMeter(SCOPE_NAME.gateway));
    http = await startTestServer({ metrics });
    grpcEngine = new FakeChatEngine(answer(['Hello', ' there']));
    grpc = await startChatService(grpcEngine, { apiKeys: [], maxBatchInputs: 4, metrics });
  });
  after(async () => {
    await http.close();
    await grpc.stop();
    await meters.shutdown();
  });

  test('HTTP: each route and status is counted; only streamed answers record a TTFT', async () => {
    const chatUrl = `${http.url}/v1/chat/completions`;
    const question = { model: MODEL, messages: [{ role: 'user', content: 'Say hello' }] };
    assert.equal((await postJson(chatUrl, { ...question, stream: true })).status, 200);
    assert.equal((await postJson(chatUrl, question)).status, 200);
    assert.equal((await postJson(chatUrl, { messages: [] })).status, 400);
    assert.equal((await fetch(`${http.url}/v1/models/${MODEL}`)).status, 200);
    assert.equal((await fetch(`${http.url}/no/such/path`)).status, 404);

    const all = samples(await meters.scrape());
    const count = (route: string, code: string) =>
      valueOf(all, NAME.requests, { [ROUTE]: route, [STATUS]: code });
    assert.equal(count('POST /v1/chat/completions', '200'), 2);
    assert.equal(count('POST /v1/chat/completions', '400'), 1);
    assert.equal(count('GET /v1/models/{model}', '200'), 1, 'the template, not the model id');
    assert.equal(count('GET unmatched', '404'), 1);

    const ttft = NAME.timeToFirstToken;
    assert.equal(valueOf(all, `${ttft}_count`, { [ROUTE]: 'POST /v1/chat/completions' }), 1);
    assert.deepEqual(
      bucketsOf(all, ttft, { [ROUTE]: 'POST /v1/chat/completions' }),
      asLe(METRIC_BUCKETS.timeToFirstToken),
    );
    const duration = NAME.requestDuration;
    assert.equal(
      valueOf(all, `${duration}_count`, { [ROUTE]: 'POST /v1/chat/completions', [STATUS]: '200' }),
      2,
    );
  });

  test('gRPC: methods by status code, StreamChat TTFT, a client cancel counted as CANCELLED', async () => {
    const input = chat(user(text('hello')));
    await new Promise<void>((resolve, reject) => {
      const call = grpc.client.streamChat({ input, returnPrompt: false });
      call.on('data', () => undefined);
      call.on('error', reject);
      call.on('end', resolve);
    });
    const unary = (client: ChatServiceClient, i: ChatInput | undefined) =>
      new Promise<ChatResponse>((resolve, reject) =>
        client.chat({ input: i }, (err, res) => (err ? reject(err) : resolve(res))),
      );
    await unary(grpc.client, input);
    await assert.rejects(
      unary(grpc.client, undefined),
      (err: ServiceError) => err.code === status.INVALID_ARGUMENT,
    );

    // A stream the client cancels after its first delta.
    grpcEngine.script = hangAfter([delta('Hi')]);
    const started = grpcEngine.nextRun();
    await new Promise<void>((resolve) => {
      const call = grpc.client.streamChat({ input, returnPrompt: false });
      call.once('data', () => call.cancel());
      call.on('error', () => resolve());
    });
    await (
      await started
    ).abortedPromise;

    const stream = '/internvl.v1.ChatService/StreamChat';
    const unaryChat = '/internvl.v1.ChatService/Chat';
    let all: Sample[] = [];
    for (let i = 0; i < 100; i++) {
      all = samples(await meters.scrape());
      if (valueOf(all, NAME.requests, { [ROUTE]: stream, [STATUS]: 'CANCELLED' }) > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const count = (route: string, code: string) =>
      valueOf(all, NAME.requests, { [ROUTE]: route, [STATUS]: code });
    assert.equal(count(stream, 'OK'), 1);
    assert.equal(count(stream, 'CANCELLED'), 1);
    assert.equal(count(unaryChat, 'OK'), 1);
    assert.equal(count(unaryChat, 'INVALID_ARGUMENT'), 1);
    // Both streams wrote a first delta; the unary Chat has no TTFT.
    assert.equal(valueOf(all, `${NAME.timeToFirstToken}_count`, { [ROUTE]: stream }), 2);
    assert.equal(valueOf(all, `${NAME.timeToFirstToken}_count`, { [ROUTE]: unaryChat }), 0);
    assert.deepEqual(
      bucketsOf(all, NAME.requestDuration, { [ROUTE]: unaryChat, [STATUS]: 'OK' }),
      asLe(METRIC_BUCKETS.requestDuration),
    );
  });
});
