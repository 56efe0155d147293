import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { chatInput, streamChat, user } from './support/chat-calls';
import { healthStatus } from './support/grpc-probes';
import { tinyStackForSuite } from './support/suite-stack';
import { sleep, waitFor } from './support/wait';

// Long enough that grpc-js's default reconnect backoff (1 s ×1.6 per attempt, ±20 %) would leave
// the gateway waiting well over 2 s after the new tier is up; the bounded backoff (1 s) does not.
const OUTAGE_MS = 10_000;
const RECOVERY_BUDGET_MS = 2_000;

const { stack, grpc: client } = tinyStackForSuite();

test('llm restart: /ready 503 naming llm during the outage, chats again within 2 s of the new tier serving', async () => {
  const gateway = stack.gatewayAddress;
  await waitFor('/ready 200', 10_000, async () => (await fetch(`${stack.httpBase}/ready`)).status === 200);
  assert.equal(await healthStatus(gateway, 'internvl.v1.ChatService'), 'SERVING');
  await streamChat(client, chatInput([user('hello')], 4));

  await stack.llm.stop();
  const down = await waitFor('/ready 503', 5_000, async () => {
    const res = await fetch(`${stack.httpBase}/ready`);
    return res.status === 503 ? ((await res.json()) as { message: string; down: string[] }) : undefined;
  });
  assert.match(down.message, /llm/);
  assert.deepEqual(down.down, ['llm']);
  // A public probe names tiers, never internal addresses.
  assert.doesNotMatch(down.message, /127\.0\.0\.1|:\d{4,5}/);
  // Liveness stays up; the ChatService reports NOT_SERVING, the server as a whole ('') SERVING.
  assert.equal((await fetch(`${stack.httpBase}/health`)).status, 200);
  assert.equal(await healthStatus(gateway, 'internvl.v1.ChatService'), 'NOT_SERVING');
  assert.equal(await healthStatus(gateway), 'SERVING');
  await assert.rejects(streamChat(client, chatInput([user('hello')], 4)));

  await sleep(OUTAGE_MS);
  const newLlm = await stack.restartLlm();
  await waitFor(
    'the new llm tier SERVING',
    10_000,
    async () => (await healthStatus(`127.0.0.1:${newLlm.port}`)) === 'SERVING',
  );
  const servingAt = performance.now();
  let attempts = 0;
  for (;;) {
    attempts++;
    const ok = await streamChat(client, chatInput([user('hello')], 4), {
      deadline: new Date(Date.now() + RECOVERY_BUDGET_MS),
    }).then(
      () => true,
      () => false,
    );
    const elapsed = performance.now() - servingAt;
    if (ok) {
      console.log(
        `gateway chatted again ${Math.round(elapsed)} ms after the new llm tier served (${attempts} tries)`,
      );
      assert.ok(elapsed < RECOVERY_BUDGET_MS, `recovered after ${Math.round(elapsed)} ms`);
      break;
    }
    assert.ok(
      elapsed < RECOVERY_BUDGET_MS,
      `still failing ${Math.round(elapsed)} ms after the llm tier served`,
    );
    await sleep(50);
  }
  await waitFor(
    '/ready 200 again',
    RECOVERY_BUDGET_MS,
    async () => (await fetch(`${stack.httpBase}/ready`)).status === 200,
  );
  assert.equal(await healthStatus(gateway, 'internvl.v1.ChatService'), 'SERVING');
});
