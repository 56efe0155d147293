import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { credentials, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { chatClient, chatInput, streamChat, user } from './support/chat-calls';
import { healthStatus, listServices } from './support/grpc-probes';
import { CLI, FIXTURES } from './support/paths';
import { startServer, type RunningProcess } from './support/processes';
import { startGateway } from './support/stack';
import { buildTinyModel } from './support/tiny-model';

// Test-only certificates (test/fixtures/tls/README.md): the tiers' server.crt and the gateway's
// client.crt are signed by ca.crt; other-client.crt by a CA the tiers do not trust.
const tls = (name: string) => join(FIXTURES, 'tls', name);
const pem = (name: string) => readFileSync(tls(name));
const IMAGE1 = readFileSync(join(FIXTURES, 'images', 'image1.jpg'));

const TIER_MTLS = [
  ...['--tls-cert-file', tls('server.crt'), '--tls-key-file', tls('server.key')],
  ...['--tls-client-ca-file', tls('ca.crt')],
];
const GATEWAY_DOWNSTREAM_MTLS = [
  '--downstream-tls-ca-file',
  tls('ca.crt'),
  ...['--downstream-tls-cert-file', tls('client.crt'), '--downstream-tls-key-file', tls('client.key')],
  // As when dialing pods by IP: the certificate is checked against this name (its *.internvl.svc.cluster.local SAN).
  ...['--downstream-tls-server-name', 'tiers.internvl.svc.cluster.local'],
];

const withClientCert = () => credentials.createSsl(pem('ca.crt'), pem('client.key'), pem('client.crt'));

async function refusal(call: Promise<unknown>): Promise<ServiceError> {
  return call.then(
    (got) => assert.fail(`expected a refusal, got ${JSON.stringify(got)}`),
    (e: ServiceError) => e,
  );
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('mutual TLS between the gateway and the internal tiers', () => {
  let tiers: { preprocess: RunningProcess; vision: RunningProcess; llm: RunningProcess };
  let gateway: RunningProcess;
  const started: RunningProcess[] = [];
  before(async () => {
    const model = await buildTinyModel();
    const serve = async (tier: string, args: string[] = []) => {
      const server = await startServer(CLI, [
        ...['serve', tier, '--port', '0', '--metrics-port', '0'],
        ...TIER_MTLS,
        ...args,
      ]);
      started.push(server);
      return server;
    };
    const [preprocess, vision, llm] = await Promise.all([
      serve('preprocess'),
      serve('vision', ['--model', model]),
      serve('llm', ['--model', model]),
    ]);
    tiers = { preprocess, vision, llm };
    ({ gateway } = await startGateway(tiers, ['--metrics-port', '-1', ...GATEWAY_DOWNSTREAM_MTLS]));
    started.push(gateway);
  });
  after(async () => {
    await Promise.all(started.map((server) => server.stop()));
  });

  test('an internal tier with mTLS refuses a plaintext client, a client without a certificate and one from another CA', async () => {
    const address = `127.0.0.1:${tiers.preprocess.port}`;
    assert.equal(tiers.preprocess.logs.find((l) => typeof l.tls === 'string')?.tls, 'mutual');
    const callers: Array<[string, ChannelCredentials]> = [
      ['plaintext', credentials.createInsecure()],
      ['TLS without a client certificate', credentials.createSsl(pem('ca.crt'))],
      [
        'a certificate from another CA',
        credentials.createSsl(pem('ca.crt'), pem('other-client.key'), pem('other-client.crt')),
      ],
    ];
    for (const [who, creds] of callers) {
      const err = await refusal(healthStatus(address, '', creds));
      assert.equal(err.code, status.UNAVAILABLE, `${who}: ${err.message}`);
    }
    const noCert = await refusal(healthStatus(address, '', credentials.createSsl(pem('ca.crt'))));
    assert.match(noCert.details, /certificate required/);
  });

  test('kubelet-style probes read the health over plain HTTP on the metrics port', async () => {
    const healthz = async (service: string) => {
      const url = `http://127.0.0.1:${tiers.preprocess.metricsPort}/healthz?service=${service}`;
      const res = await fetch(url);
      return `${res.status} ${(await res.text()).trim()}`;
    };
    assert.equal(await healthz(''), '200 SERVING');
    assert.equal(await healthz('internvl.v1.PreprocessService'), '200 SERVING');
    assert.equal(await healthz('internvl.v1.Nothing'), '404 SERVICE_UNKNOWN');
  });

  test('it serves a client with a certificate from the CA, without reflection (off by default)', async () => {
    for (const tier of [tiers.preprocess, tiers.vision, tiers.llm]) {
      const address = `127.0.0.1:${tier.port}`;
      assert.equal(await healthStatus(address, '', withClientCert()), 'SERVING');
      const err = await refusal(listServices(address, withClientCert()));
      assert.equal(err.code, status.UNIMPLEMENTED, err.message);
    }
  });

  test('the gateway with the downstream certificate serves an image chat through the three tiers', async () => {
    const address = `127.0.0.1:${gateway.port}`;
    // ChatService turns SERVING once every tier answered the gateway's health check over mTLS.
    await waitFor('ChatService SERVING', async () =>
      (await healthStatus(address, 'internvl.v1.ChatService')) === 'SERVING' ? true : undefined,
    );
    const client = chatClient(address);
    try {
      const answer = await streamChat(client, chatInput([user('Describe the image.', [IMAGE1])], 8));
      assert.ok(answer.tokenIds.length > 0);
      assert.ok(answer.finish!.usage!.imageTokens >= 256, 'the image went through preprocess and vision');
    } finally {
      client.close();
    }
    // The gateway's own (public) port keeps reflection on by default.
    assert.ok((await listServices(address)).includes('internvl.v1.ChatService'));
  });

  test('a gateway without a client certificate is refused by the tiers and logs why', async () => {
    const { gateway: noCert } = await startGateway(tiers, [
      ...['--metrics-port', '-1', '--downstream-tls-ca-file', tls('ca.crt')],
      ...['--model-name', 'tiny'],
    ]);
    started.push(noCert);
    const down = await waitFor('the downstream-unreachable log', () =>
      noCert.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('downstream tier unreachable')),
    );
    const reasons = (down.down as Array<{ tier: string; reason: string }>).map(
      (d) => `${d.tier}: ${d.reason}`,
    );
    assert.equal(reasons.length, 3, reasons.join('\n'));
    for (const reason of reasons) assert.match(reason, /certificate required/);
    const client = chatClient(`127.0.0.1:${noCert.port}`);
    try {
      const err = await refusal(streamChat(client, chatInput([user('Hi')], 4)));
      assert.equal(err.code, status.UNAVAILABLE, err.message);
      assert.doesNotMatch(err.details, /127\.0\.0\.1/, 'clients are never told the addresses');
    } finally {
      client.close();
    }
    const hop = await waitFor('the failed hop log', () =>
      noCert.logs.find((l) => typeof l.msg === 'string' && /^call to the \w+ tier failed/.test(l.msg)),
    );
    assert.match(String(hop.details), /certificate required/);
  });
});
