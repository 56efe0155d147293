import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import {
  LlmServiceClient,
  LlmServiceService,
  PROTO_FILES,
  PROTO_ROOT,
  VisionServiceClient,
  VisionServiceService,
  type GenerateRequest,
  type GenerateResponse,
} from '@internvl/contracts';
import { throwIfAborted } from '@internvl/errors';
import { bidiStreaming, unary } from './handlers';
import type { ServiceHost } from './service-host';
import { specHost } from './testing/spec-host';
import { unimplementedService } from './unimplemented';

const seenAborts: string[] = [];
let host: ServiceHost;
let address: string;

before(async () => {
  host = specHost('test', { reflection: { root: PROTO_ROOT, files: PROTO_FILES } });
  host.addService('internvl.v1.VisionService', VisionServiceService, {
    ...unimplementedService(host.env, VisionServiceService, 'test'),
    getVisionInfo: unary(host.env, 'getVisionInfo', async (_req, ctx) => {
      // Waits until the deadline aborts the signal, proving deadlines reach handlers.
      await new Promise<void>((resolve) =>
        ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
      seenAborts.push(String((ctx.signal.reason as Error).name));
      throwIfAborted(ctx.signal);
      throw new Error('unreachable');
    }),
  });
  host.addService('internvl.v1.LlmService', LlmServiceService, {
    ...unimplementedService(host.env, LlmServiceService, 'test'),
    generate: bidiStreaming<GenerateRequest, GenerateResponse>(
      host.env,
      'generate',
      async function* (_requests, ctx) {
        for (let i = 0; ; i++) {
          await new Promise((r) => setTimeout(r, 10));
          if (ctx.signal.aborted) {
            seenAborts.push(String((ctx.signal.reason as Error).name));
            return;
          }
          yield { kind: { $case: 'delta', value: { text: 'x', tokenIds: [i], logprobs: [], index: 0 } } };
        }
      },
    ),
  });
  address = `127.0.0.1:${await host.listen()}`;
  host.markServing();
});

after(() => host.shutdown('test done', true));

test('a client deadline aborts the handler signal and answers DEADLINE_EXCEEDED', async () => {
  const client = new VisionServiceClient(address, credentials.createInsecure());
  const err = await new Promise<ServiceError | null>((resolve) =>
    client.getVisionInfo({}, new Metadata(), { deadline: new Date(Date.now() + 200) }, (e) => resolve(e)),
  );
  assert.equal(err?.code, status.DEADLINE_EXCEEDED);
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(seenAborts.includes('DeadlineExceededError'), seenAborts.join());
  client.close();
});

test('a client cancel aborts the streaming handler with CancelledError', async () => {
  const client = new LlmServiceClient(address, credentials.createInsecure());
  const call = client.generate();
  await new Promise<void>((resolve) => call.once('data', () => resolve()));
  call.on('error', () => undefined);
  call.cancel();
  for (let i = 0; i < 50 && !seenAborts.includes('CancelledError'); i++)
    await new Promise((r) => setTimeout(r, 20));
  assert.ok(seenAborts.includes('CancelledError'), seenAborts.join());
  client.close();
});
