// Must come first: starts tracing before @grpc/grpc-js is loaded (see the module).
import { finishedSpans, telemetry } from '../testing/trace-to-file';
import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import { context, trace } from '@opentelemetry/api';
import type { SpanRecord } from '@internvl/telemetry';
import { chat, FakeStack, image, startChatService, text, user } from '../testing/chat-fixtures';

after(() => telemetry.shutdown());

const SERVER = 1;
const CLIENT = 2;

async function spansOfTrace(traceId: string, expected: number): Promise<SpanRecord[]> {
  // Server spans end a moment after the client got its answer: wait for them (not a timing assert).
  const giveUp = Date.now() + 10_000;
  for (;;) {
    const spans = finishedSpans().filter((s) => s.traceId === traceId);
    if (spans.length >= expected || Date.now() > giveUp) return spans;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('one trace covers the gateway call, a span per hop, and every tier it calls', async () => {
  const stack = await FakeStack.start();
  const service = await startChatService(stack.engine());
  // The caller's span: the instrumented client continues it, as a client in another process would.
  const caller = trace.getTracer('spec').startSpan('caller');
  const { traceId } = caller.spanContext();
  try {
    await context.with(
      trace.setSpan(context.active(), caller),
      () =>
        new Promise((resolve, reject) =>
          service.client.chat({ input: chat(user(image('tiles=1 a'), text('?'))) }, (err, res) =>
            err ? reject(err) : resolve(res),
          ),
        ),
    );
  } finally {
    caller.end();
    await service.stop();
    stack.stop();
  }
  // caller + gateway client and server + chat + 4 hops + (client + server) for the embedding
  // lookup (a miss), preprocess, vision (pixels) and llm.
  const spans = await spansOfTrace(traceId, 3 + 1 + 4 + 2 * 4);
  const named = (name: string, kind?: number) =>
    spans.filter((s) => s.name.includes(name) && (kind === undefined || s.kind === kind));
  const one = (name: string, kind?: number) => {
    const found = named(name, kind);
    assert.equal(
      found.length,
      1,
      `one ${name} span in ${spans.map((s) => `${s.name}/${s.kind}`).join(', ')}`,
    );
    return found[0]!;
  };
  const gatewayServer = one('ChatService/Chat', SERVER);
  assert.equal(gatewayServer.parentSpanId, one('ChatService/Chat', CLIENT).spanId);
  const chatSpan = one('gateway.chat');
  assert.equal(chatSpan.parentSpanId, gatewayServer.spanId);
  for (const [hop, rpc, calls] of [
    ['gateway.embedding_lookup', 'VisionService/Embed', 1],
    ['gateway.preprocess', 'PreprocessService/Preprocess', 1],
    ['gateway.vision', 'VisionService/Embed', 1],
    ['gateway.llm', 'LlmService/Generate', 1],
  ] as const) {
    const hopSpan = one(hop);
    assert.equal(hopSpan.parentSpanId, chatSpan.spanId, `${hop} is under gateway.chat`);
    const clients = named(rpc, CLIENT).filter((s) => s.parentSpanId === hopSpan.spanId);
    assert.equal(clients.length, calls, `${rpc} client spans under ${hop}`);
    for (const client of clients) {
      assert.equal(client.parentSpanId, hopSpan.spanId, `${rpc} client span is under ${hop}`);
      const server = spans.find((s) => s.kind === SERVER && s.parentSpanId === client.spanId);
      assert.ok(server?.name.includes(rpc), `the tier's ${rpc} server span continues the trace`);
    }
  }
});
