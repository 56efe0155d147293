import {
  Server,
  ServerCredentials,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { createLogger, type HandlerEnv } from '@internvl/service-kit';

/** What the fake tiers' handler adapters need: a silent logger and a server signal never aborted. */
export const FAKE_ENV: HandlerEnv = {
  log: createLogger('fake-tier', 'silent'),
  serverSignal: new AbortController().signal,
  messageLimitHint: '--max-receive-message-bytes',
};

export interface FakeServer {
  address: string;
  /** Stops at once (in-flight calls are cut); the address then refuses connections. */
  stop(): void;
}

/** A plain grpc-js server on 127.0.0.1, port 0, serving one fake tier. */
export async function startFakeServer(
  definition: ServiceDefinition,
  implementation: UntypedServiceImplementation,
): Promise<FakeServer> {
  // No size limit of its own: the gateway's client limits are what the specs exercise.
  const server = new Server({ 'grpc.max_receive_message_length': -1 });
  server.addService(definition, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { address: `127.0.0.1:${port}`, stop: () => server.forceShutdown() };
}

/**
 * Holds calls until `count` of them wait at once, then lets them go in reverse arrival order. A
 * caller that sends them one at a time never gets past it (its deadline fails the test instead).
 */
export class Barrier {
  private waiting: Array<() => void> = [];
  constructor(private readonly count: number) {}

  wait(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      if (this.waiting.length === this.count) for (const release of this.waiting.reverse()) release();
    });
  }
}
