import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { ChatServiceClient, type ChatResponse } from '@internvl/contracts';
import { ConfigError } from '@internvl/service-kit';
import { downstreamTls } from './downstream/downstream-tls';
import { chat, echoOf, FakeStack, text, user } from './testing/chat-fixtures';
import { startGateway, type StartedGateway } from './testing/start-gateway';

const ROOT = process.env.INTERNVL_REPO_ROOT ?? resolve(__dirname, '../../..');
const tls = (name: string) => join(ROOT, 'test', 'fixtures', 'tls', name);
const pem = (name: string) => readFileSync(tls(name));

let stack: FakeStack;
before(async () => {
  stack = await FakeStack.start();
});
after(() => stack.stop());

const start = (extra: string[]) => startGateway(stack, ['--model-name', 'm', ...extra]);

function grpcChat(port: number, creds = credentials.createSsl(pem('ca.crt'))): Promise<ChatResponse> {
  const client = new ChatServiceClient(`127.0.0.1:${port}`, creds);
  return new Promise<ChatResponse>((resolve, reject) =>
    client.chat(
      { input: chat(user(text('over mtls'))) },
      new Metadata(),
      { deadline: Date.now() + 5_000 },
      (err, res) => {
        client.close();
        if (err) reject(err);
        else resolve(res);
      },
    ),
  );
}

/** GET /v1/models over HTTPS: the status, or the error of the connection. */
function httpsStatus(port: number, clientCert?: { cert: Buffer; key: Buffer }): Promise<number | Error> {
  return new Promise((resolve) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, path: '/v1/models', ca: pem('ca.crt'), ...clientCert },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', resolve);
    req.end();
  });
}

describe('the gateway with tls_client_ca_file: mutual TLS on both public ports', () => {
  let gateway: StartedGateway;
  before(async () => {
    gateway = await start([
      ...['--tls-cert-file', tls('server.crt'), '--tls-key-file', tls('server.key')],
      ...['--tls-client-ca-file', tls('ca.crt')],
    ]);
  });
  after(() => gateway.service.stop('test over'));

  test('gRPC: a client with a certificate from the CA chats; one without is refused', async () => {
    const withCert = credentials.createSsl(pem('ca.crt'), pem('client.key'), pem('client.crt'));
    assert.equal(echoOf((await grpcChat(gateway.service.port, withCert)).text).turns[0]!.text, 'over mtls');
    const refused = await grpcChat(gateway.service.port).catch((e: ServiceError) => e);
    assert.equal((refused as ServiceError).code, status.UNAVAILABLE);
    const stranger = credentials.createSsl(pem('ca.crt'), pem('other-client.key'), pem('other-client.crt'));
    const refusedStranger = await grpcChat(gateway.service.port, stranger).catch((e: ServiceError) => e);
    assert.equal((refusedStranger as ServiceError).code, status.UNAVAILABLE);
  });

  test('HTTP: a client with a certificate from the CA is answered; one without is refused', async () => {
    const port = gateway.runtime.httpPort;
    assert.equal(await httpsStatus(port, { cert: pem('client.crt'), key: pem('client.key') }), 200);
    assert.ok((await httpsStatus(port)) instanceof Error);
    const stranger = await httpsStatus(port, { cert: pem('other-client.crt'), key: pem('other-client.key') });
    assert.ok(stranger instanceof Error, String(stranger));
  });
});

describe('downstream TLS options', () => {
  test('are refused at start-up when incomplete, naming the options', async () => {
    await assert.rejects(
      start(['--downstream-tls-cert-file', tls('client.crt')]),
      /--downstream-tls-cert-file \(INTERNVL_GATEWAY_DOWNSTREAM_TLS_CERT_FILE\) and --downstream-tls-key-file \(INTERNVL_GATEWAY_DOWNSTREAM_TLS_KEY_FILE\) go together/,
    );
    await assert.rejects(
      start([
        ...['--downstream-tls-cert-file', tls('client.crt'), '--downstream-tls-key-file', tls('client.key')],
      ]),
      /--downstream-tls-cert-file \(INTERNVL_GATEWAY_DOWNSTREAM_TLS_CERT_FILE\) need TLS: set --downstream-tls-ca-file/,
    );
    await assert.rejects(
      start(['--downstream-tls-server-name', 'llm.internvl.svc']),
      /--downstream-tls-server-name .* need TLS/,
    );
    await assert.rejects(
      start(['--downstream-tls-ca-file', tls('no-such-ca.crt')]),
      /--downstream-tls-ca-file \(INTERNVL_GATEWAY_DOWNSTREAM_TLS_CA_FILE\): cannot read/,
    );
  });

  test('a key that does not match the client certificate is a ConfigError', () => {
    assert.throws(
      () =>
        downstreamTls({
          downstream_tls_ca_file: tls('ca.crt'),
          downstream_tls_cert_file: tls('client.crt'),
          downstream_tls_key_file: tls('server.key'),
        }),
      (err: Error) => err instanceof ConfigError && /--downstream-tls-key-file/.test(err.message),
    );
  });

  test('become the TLS fields of every tier channel', () => {
    assert.deepEqual(downstreamTls({ downstream_tls_ca_file: '' }), {});
    assert.deepEqual(
      downstreamTls({
        downstream_tls_ca_file: tls('ca.crt'),
        downstream_tls_cert_file: tls('client.crt'),
        downstream_tls_key_file: tls('client.key'),
        downstream_tls_server_name: 'tiers.internvl.svc.cluster.local',
      }),
      {
        tlsCaFile: tls('ca.crt'),
        tlsCertFile: tls('client.crt'),
        tlsKeyFile: tls('client.key'),
        tlsServerName: 'tiers.internvl.svc.cluster.local',
      },
    );
  });
});
