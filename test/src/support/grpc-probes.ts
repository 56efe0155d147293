import {
  credentials,
  type ChannelCredentials,
  loadPackageDefinition,
  makeGenericClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { service as healthService } from 'grpc-health-check';
import { dirname, join } from 'node:path';

const HealthClient = makeGenericClientConstructor(healthService, 'Health');

/** grpc.health.v1 Check for `service` ('' = the whole server); plaintext unless `creds`. */
export function healthStatus(
  address: string,
  service = '',
  creds: ChannelCredentials = credentials.createInsecure(),
): Promise<string> {
  const client = new HealthClient(address, creds);
  return new Promise((resolve, reject) => {
    client.check({ service }, (err: ServiceError | null, res: { status: string }) => {
      client.close();
      if (err) reject(err);
      else resolve(res.status);
    });
  });
}

/** Service names listed over server reflection (grpc.reflection.v1); plaintext unless `creds`. */
export function listServices(
  address: string,
  creds: ChannelCredentials = credentials.createInsecure(),
): Promise<string[]> {
  const reflectionDir = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build', 'proto');
  const definition = loadSync('grpc/reflection/v1/reflection.proto', { includeDirs: [reflectionDir] });
  const pkg = loadPackageDefinition(definition) as unknown as {
    grpc: {
      reflection: {
        v1: {
          ServerReflection: new (a: string, c: ChannelCredentials) => import('@grpc/grpc-js').Client;
        };
      };
    };
  };
  const client = new pkg.grpc.reflection.v1.ServerReflection(address, creds) as unknown as {
    serverReflectionInfo(): import('@grpc/grpc-js').ClientDuplexStream<
      unknown,
      { listServicesResponse?: { service: Array<{ name: string }> } }
    >;
    close(): void;
  };
  return new Promise((resolve, reject) => {
    const call = client.serverReflectionInfo();
    call.on('data', (res) => {
      resolve((res.listServicesResponse?.service ?? []).map((s: { name: string }) => s.name));
      call.end();
      client.close();
    });
    call.on('error', (err) => {
      client.close();
      reject(err);
    });
    call.write({ listServices: '' });
  });
}
