import type { Client } from '@grpc/grpc-js';
import type { Schema } from './config/schema';
import { createClient, type ClientConstructor } from './grpc/client';
import { runService, type RunningService, type ServiceApp } from './run-service';

/** A tier run in this process on a loopback port the OS picked, and a client to it. */
export interface LocalService<C extends Client> {
  service: RunningService;
  client: C;
  /** Closes the client, then stops the service gracefully. */
  stop(reason?: string): Promise<void>;
}

/**
 * Runs `app` in this process (for tests and benchmarks) on a free port (`--port 0`, then `args`;
 * no config from the environment) and connects a `Ctor` client to it that sends and receives
 * messages of up to `messageBytes`.
 */
export async function runLocalService<S extends Schema, C extends Client>(
  app: ServiceApp<S>,
  Ctor: ClientConstructor<C>,
  args: readonly string[],
  messageBytes = 64 << 20,
): Promise<LocalService<C>> {
  const service = await runService(app, { argv: ['--port', '0', ...args], env: {} });
  const client = createClient(Ctor, {
    addresses: [`127.0.0.1:${service.port}`],
    maxReceiveMessageBytes: messageBytes,
    maxSendMessageBytes: messageBytes,
  });
  return {
    service,
    client,
    stop: async (reason = 'done') => {
      client.close();
      await service.stop(reason);
    },
  };
}
