import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { LlmServiceClient, VisionServiceClient } from '@internvl/contracts';
import { healthStatus, listServices } from './support/grpc-probes';
import { CLI } from './support/paths';
import { startServer, type RunningProcess } from './support/processes';
import { buildTinyModel, TINY_MODEL_NAME } from './support/tiny-model';

const TIERS = [
  { tier: 'gateway', service: 'internvl.v1.ChatService' },
  { tier: 'preprocess', service: 'internvl.v1.PreprocessService' },
  { tier: 'vision', service: 'internvl.v1.VisionService' },
  { tier: 'llm', service: 'internvl.v1.LlmService' },
] as const;

describe('internvl serve <tier>: every tier starts and reports health; the gateway lists its service', () => {
  const running = new Map<string, RunningProcess>();
  let model: string;
  before(async () => {
    model = await buildTinyModel();
    // Tiers that load a model get the tiny one.
    const extra: Record<string, string[]> = {
      vision: ['--model', model],
      llm: ['--model', model],
      gateway: ['--http-port', '0'],
    };
    // The gateway's ChatService is SERVING only while it reaches the other tiers: start them first.
    const start = (tiers: ReadonlyArray<{ tier: string }>) =>
      Promise.all(
        tiers.map(async ({ tier }) =>
          running.set(
            tier,
            await startServer(CLI, [
              'serve',
              tier,
              '--port',
              '0',
              '--metrics-port',
              '0',
              ...(extra[tier] ?? []),
            ]),
          ),
        ),
      );
    await start(TIERS.filter(({ tier }) => tier !== 'gateway'));
    for (const tier of ['preprocess', 'vision', 'llm'])
      extra.gateway!.push(`--${tier}-addr`, `127.0.0.1:${running.get(tier)!.port}`);
    await start(TIERS.filter(({ tier }) => tier === 'gateway'));
  });
  after(async () => {
    await Promise.all([...running.values()].map((r) => r.stop()));
  });

  for (const { tier, service } of TIERS) {
    const reflection = tier === 'gateway' ? `${service} over reflection` : 'no reflection (default)';
    test(`${tier}: SERVING on grpc.health.v1, ${reflection}, /metrics up`, async () => {
      const server = running.get(tier)!;
      const address = `127.0.0.1:${server.port}`;
      assert.equal(await healthStatus(address), 'SERVING');
      // The gateway's ChatService turns SERVING after its first round of downstream health checks.
      for (let i = 0; i < 100 && (await healthStatus(address, service)) !== 'SERVING'; i++)
        await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(await healthStatus(address, service), 'SERVING');
      if (tier === 'gateway') {
        const services = await listServices(address);
        assert.ok(services.includes(service), `reflection lists ${services.join(', ')}`);
        assert.ok(services.includes('grpc.health.v1.Health'));
      } else {
        // The internal tiers describe themselves only with --reflection.
        const err = await listServices(address).then(
          (services) => assert.fail(`reflection answered: ${services.join(', ')}`),
          (e: ServiceError) => e,
        );
        assert.equal(err.code, status.UNIMPLEMENTED);
      }
      const metrics = await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`);
      assert.equal(metrics.status, 200);
    });
  }

  test('vision describes the model it loaded', async () => {
    const vision = new VisionServiceClient(
      `127.0.0.1:${running.get('vision')!.port}`,
      credentials.createInsecure(),
    );
    const info = await new Promise((resolve, reject) =>
      vision.getVisionInfo({}, (e, res) => (e ? reject(e) : resolve(res))),
    );
    vision.close();
    assert.deepEqual(info, {
      modelName: TINY_MODEL_NAME,
      imageSize: 448,
      tokensPerTile: 256,
      embeddingDim: 64,
      executionProvider: 'cpu',
      maxBatchTiles: 8,
    });
  });

  test('vision refuses to start without --model, saying what to pass', async () => {
    await assert.rejects(
      startServer(CLI, ['serve', 'vision', '--port', '0']),
      /exited with 1 before listening:[\s\S]*no model: pass --model DIR/,
    );
  });

  test('llm describes the model it loaded; without --model it refuses to start', async () => {
    const llm = new LlmServiceClient(`127.0.0.1:${running.get('llm')!.port}`, credentials.createInsecure());
    const info = await new Promise((resolve, reject) =>
      llm.getLlmInfo({}, (e, res) => (e ? reject(e) : resolve(res))),
    );
    llm.close();
    assert.deepEqual(info, {
      modelName: TINY_MODEL_NAME,
      template: 'phi3-chat',
      hiddenSize: 64,
      maxContextTokens: 16384,
      maxActiveSequences: 16,
      executionProvider: 'cpu',
    });
    await assert.rejects(
      startServer(CLI, ['serve', 'llm', '--port', '0']),
      /exited with 1 before listening:[\s\S]*no model: pass --model DIR \(or INTERNVL_LLM_MODEL\)/,
    );
  });

  test('unknown options are refused at start-up with a pointer to --help', async () => {
    await assert.rejects(
      startServer(CLI, ['serve', 'vision', '--port', '0', '--no-such-option', '1']),
      /unknown option --no-such-option/,
    );
  });
});
