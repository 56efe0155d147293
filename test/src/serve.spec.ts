import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { ChatServiceClient, LlmServiceClient, VisionServiceClient } from '@internvl/contracts';
import { healthStatus, listServices } from './support/grpc-probes';
import { CLI } from './support/paths';
import { startServer, type RunningProcess } from './support/processes';

const TIERS = [
  { tier: 'gateway', service: 'internvl.v1.ChatService' },
  { tier: 'preprocess', service: 'internvl.v1.PreprocessService' },
  { tier: 'vision', service: 'internvl.v1.VisionService' },
  { tier: 'llm', service: 'internvl.v1.LlmService' },
] as const;

describe('internvl serve <tier>: every tier starts, reports health and lists its service', () => {
  const running = new Map<string, RunningProcess>();
  before(async () => {
    await Promise.all(
      TIERS.map(async ({ tier }) =>
        running.set(tier, await startServer(CLI, ['serve', tier, '--port', '0', '--metrics-port', '0'])),
      ),
    );
  });
  after(async () => {
    await Promise.all([...running.values()].map((r) => r.stop()));
  });

  for (const { tier, service } of TIERS) {
    test(`${tier}: SERVING on grpc.health.v1, ${service} over reflection, /metrics up`, async () => {
      const server = running.get(tier)!;
      const address = `127.0.0.1:${server.port}`;
      assert.equal(await healthStatus(address), 'SERVING');
      assert.equal(await healthStatus(address, service), 'SERVING');
      const services = await listServices(address);
      assert.ok(services.includes(service), `reflection lists ${services.join(', ')}`);
      assert.ok(services.includes('grpc.health.v1.Health'));
      const metrics = await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`);
      assert.equal(metrics.status, 200);
    });
  }

  test('RPCs not built yet answer UNIMPLEMENTED with a message, never a fake result', async () => {
    const vision = new VisionServiceClient(
      `127.0.0.1:${running.get('vision')!.port}`,
      credentials.createInsecure(),
    );
    const err = await new Promise<ServiceError | null>((resolve) =>
      vision.getVisionInfo({}, (e) => resolve(e)),
    );
    assert.equal(err?.code, status.UNIMPLEMENTED);
    assert.match(err!.details, /VisionService\/GetVisionInfo is not implemented yet: .*issue #5/);
    vision.close();

    const llm = new LlmServiceClient(`127.0.0.1:${running.get('llm')!.port}`, credentials.createInsecure());
    const stream = llm.generate();
    const streamErr = await new Promise<ServiceError>((resolve) => {
      stream.on('error', resolve);
      stream.on('data', () => assert.fail('no data expected'));
    });
    assert.equal(streamErr.code, status.UNIMPLEMENTED);
    llm.close();

    const chat = new ChatServiceClient(
      `127.0.0.1:${running.get('gateway')!.port}`,
      credentials.createInsecure(),
    );
    const chatErr = await new Promise<ServiceError | null>((resolve) =>
      chat.chat({ input: undefined }, new Metadata(), (e) => resolve(e)),
    );
    assert.equal(chatErr?.code, status.UNIMPLEMENTED);
    chat.close();
  });

  test('unknown options are refused at start-up with a pointer to --help', async () => {
    await assert.rejects(
      startServer(CLI, ['serve', 'vision', '--port', '0', '--no-such-option', '1']),
      /unknown option --no-such-option/,
    );
  });
});
