import { strict as assert } from 'node:assert';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  loadPackageDefinition,
  makeGenericClientConstructor,
  status,
  type Client,
  type ClientDuplexStream,
  type ServiceClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_FILES, PROTO_ROOT } from '@internvl/contracts';
import { service as healthService } from 'grpc-health-check';
import { ConfigError } from '../config/parse-config';
import type { Schema } from '../config/schema';
import { runService, type RunningService, type ServiceApp } from '../run-service';
import { channelCredentials, createClient, type ClientConfig } from './client';
import { createHealthChecker } from './health-client';
import { serverCredentials } from './server-tls';
import type { ServiceHost } from './service-host';
import { specHost } from './testing/spec-host';

const ROOT = process.env.INTERNVL_REPO_ROOT ?? resolve(__dirname, '../../../..');
const tls = (name: string) => join(ROOT, 'test', 'fixtures', 'tls', name);
const CA = tls('ca.crt');
const SERVER = { tls_cert_file: tls('server.crt'), tls_key_file: tls('server.key') };
const CLIENT = { tlsCertFile: tls('client.crt'), tlsKeyFile: tls('client.key') };
const STRANGER = { tlsCertFile: tls('other-client.crt'), tlsKeyFile: tls('other-client.key') };

const HealthClient = makeGenericClientConstructor(healthService, 'Health');

/** grpc.health.v1 status of the whole server, or the error of the call. */
async function health(config: ClientConfig): Promise<string | ServiceError> {
  const client = createClient(HealthClient, config);
  try {
    return await createHealthChecker(client)('', 5_000);
  } catch (err) {
    return err as ServiceError;
  } finally {
    client.close();
  }
}

const ReflectionClient = (() => {
  const dir = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build', 'proto');
  const definition = loadSync('grpc/reflection/v1/reflection.proto', { includeDirs: [dir] });
  const pkg = loadPackageDefinition(definition) as unknown as {
    grpc: { reflection: { v1: { ServerReflection: ServiceClientConstructor } } };
  };
  return pkg.grpc.reflection.v1.ServerReflection;
})();

/** The services listed over server reflection, or the error of the call. */
async function reflectedServices(config: ClientConfig): Promise<string[] | ServiceError> {
  type Listing = { listServicesResponse?: { service: Array<{ name: string }> } };
  const client = createClient(ReflectionClient, config) as unknown as Client & {
    serverReflectionInfo(): ClientDuplexStream<unknown, Listing>;
  };
  try {
    return await new Promise<string[]>((resolve, reject) => {
      const call = client.serverReflectionInfo();
      call.on('data', (res: Listing) => {
        resolve((res.listServicesResponse?.service ?? []).map((s) => s.name));
        call.end();
      });
      call.on('error', reject);
      call.write({ listServices: '' });
    });
  } catch (err) {
    return err as ServiceError;
  } finally {
    client.close();
  }
}

const isRefused = (got: string | string[] | ServiceError) =>
  got instanceof Error && (got as ServiceError).code === status.UNAVAILABLE;

describe('a server with mutual TLS (tls_client_ca_file)', () => {
  let host: ServiceHost;
  let address: string;
  const base = (): ClientConfig => ({
    addresses: [address],
    maxReceiveMessageBytes: 1 << 20,
    maxSendMessageBytes: 1 << 20,
  });

  before(async () => {
    host = specHost('mtls', { credentials: serverCredentials({ ...SERVER, tls_client_ca_file: CA }) });
    address = `127.0.0.1:${await host.listen()}`;
    host.markServing();
  });
  after(() => host.shutdown('test done', true));

  test('serves a client that presents a certificate signed by the client CA', async () => {
    assert.equal(await health({ ...base(), tlsCaFile: CA, ...CLIENT }), 'SERVING');
  });

  test('refuses a plaintext client, a TLS client without a certificate and one from another CA', async () => {
    const plaintext = await health(base());
    assert.ok(isRefused(plaintext), String(plaintext));
    const noCert = await health({ ...base(), tlsCaFile: CA });
    assert.ok(isRefused(noCert), String(noCert));
    // The handshake's reason reaches the client (and so the gateway's tier log).
    assert.match((noCert as ServiceError).details, /certificate required/);
    const stranger = await health({ ...base(), tlsCaFile: CA, ...STRANGER });
    assert.ok(isRefused(stranger), String(stranger));
  });

  test('tlsServerName checks the certificate against that name, not the dialed IP', async () => {
    const named = { ...base(), tlsCaFile: CA, ...CLIENT };
    assert.equal(await health({ ...named, tlsServerName: 'llm.internvl.svc.cluster.local' }), 'SERVING');
    const wrong = await health({ ...named, tlsServerName: 'llm.example.com' });
    assert.ok(isRefused(wrong), String(wrong));
    assert.match((wrong as ServiceError).details, /llm\.example\.com/);
  });

  test('no reflection unless the host is given the .proto files', async () => {
    const got = await reflectedServices({ ...base(), tlsCaFile: CA, ...CLIENT });
    assert.equal((got as ServiceError).code, status.UNIMPLEMENTED, String(got));
  });
});

/** An app with no services of its own (health, and reflection when asked). */
const emptyApp: ServiceApp<Schema> = {
  name: 'kit',
  description: 'test app',
  defaultPort: 0,
  defaultMetricsPort: -1,
  schema: {},
  reflection: { root: PROTO_ROOT, files: PROTO_FILES },
  async setup() {},
};
const start = (argv: string[]) => runService(emptyApp, { argv: [...argv, '--log-level', 'silent'], env: {} });

describe('TLS options are checked at start-up', () => {
  test('a client CA without certificate and key names the options', async () => {
    await assert.rejects(
      start(['--tls-client-ca-file', CA]),
      (err: Error) =>
        err instanceof ConfigError &&
        err.message.includes('--tls-cert-file (INTERNVL_KIT_TLS_CERT_FILE) and --tls-key-file') &&
        err.message.includes('given: --tls-client-ca-file (INTERNVL_KIT_TLS_CLIENT_CA_FILE)'),
    );
  });

  test('a certificate without its key is refused (never silently plaintext)', async () => {
    await assert.rejects(start(['--tls-cert-file', SERVER.tls_cert_file]), /must both be set for TLS/);
  });

  test('a missing file and a key that does not match its certificate name the options', async () => {
    await assert.rejects(
      start(['--tls-cert-file', SERVER.tls_cert_file, '--tls-key-file', tls('no-such.key')]),
      /--tls-key-file \(INTERNVL_KIT_TLS_KEY_FILE\): cannot read .*no-such\.key/,
    );
    await assert.rejects(
      start(['--tls-cert-file', SERVER.tls_cert_file, '--tls-key-file', CLIENT.tlsKeyFile]),
      (err: Error) => err instanceof ConfigError && /--tls-cert-file .*--tls-key-file .*: /.test(err.message),
    );
  });

  test('a client certificate without a CA file, or without its key, is refused', () => {
    const base = { addresses: ['127.0.0.1:1'], maxReceiveMessageBytes: 1024, maxSendMessageBytes: 1024 };
    assert.throws(() => channelCredentials({ ...base, ...CLIENT }), /needs the CA file/);
    assert.throws(
      () => channelCredentials({ ...base, tlsServerName: 'x.internvl.svc' }),
      /needs the CA file/,
    );
    assert.throws(
      () => channelCredentials({ ...base, tlsCaFile: CA, tlsCertFile: CLIENT.tlsCertFile }),
      /needs its key file/,
    );
  });
});

test('the metrics port mirrors grpc.health.v1 on GET /healthz, for probes that cannot present a certificate', async () => {
  const service = await runService(emptyApp, {
    argv: [
      ...['--metrics-port', '0', '--log-level', 'silent', '--tls-client-ca-file', CA],
      ...['--tls-cert-file', SERVER.tls_cert_file, '--tls-key-file', SERVER.tls_key_file],
    ],
    env: {},
    metricsHandler: (_req, res) => res.end('metrics\n'),
  });
  const get = async (query: string) => {
    const res = await fetch(`http://127.0.0.1:${service.metricsPort}/healthz${query}`);
    return `${res.status} ${(await res.text()).trim()}`;
  };
  try {
    assert.equal(await get(''), '200 SERVING');
    assert.equal(await get('?service=no.such.Service'), '404 SERVICE_UNKNOWN');
    service.host.setStatus('NOT_SERVING');
    assert.equal(await get('?service='), '503 NOT_SERVING');
  } finally {
    await service.stop('test done', true);
  }
});

describe('reflection is off unless --reflection', () => {
  const running: RunningService[] = [];
  after(() => Promise.all(running.map((r) => r.stop('test done', true))));
  const probe = async (argv: string[]) => {
    const service = await start(argv);
    running.push(service);
    return reflectedServices({
      addresses: [`127.0.0.1:${service.port}`],
      maxReceiveMessageBytes: 1 << 20,
      maxSendMessageBytes: 1 << 20,
    });
  };

  test('by default a reflection call is UNIMPLEMENTED', async () => {
    const got = await probe([]);
    assert.equal((got as ServiceError).code, status.UNIMPLEMENTED, String(got));
  });

  test('--reflection lists the services', async () => {
    const got = await probe(['--reflection']);
    assert.ok(Array.isArray(got), String(got));
    assert.ok(got.includes('grpc.health.v1.Health'), got.join());
  });
});
