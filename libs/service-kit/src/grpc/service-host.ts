import {
  Server,
  ServerCredentials,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath, type ServingStatus } from 'grpc-health-check';
import { setMaxListeners } from 'node:events';
import type { Logger } from '../logging/logger';
import type { HandlerEnv } from './handlers';
import { transportReceiveLimit, withMessageLimit } from './message-limit';

export interface ServiceHostOptions {
  /** Short service name for logs, e.g. "preprocess". */
  name: string;
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  maxReceiveMessageBytes: number;
  maxSendMessageBytes: number;
  /** How long SIGTERM waits for in-flight calls before forcing them closed. */
  shutdownTimeoutMs: number;
  /** Flag/env that raises maxReceiveMessageBytes, quoted in RESOURCE_EXHAUSTED messages. */
  messageLimitHint: string;
  /** Credentials of the port (see serverCredentials: TLS or mutual TLS); plaintext when unset. */
  credentials?: ServerCredentials;
  /** .proto files (and include dir) describing the services: server reflection serves them; unset = no reflection. */
  reflection?: { root: string; files: readonly string[] };
  log: Logger;
}

/**
 * One gRPC server with the parts every tier needs: grpc.health.v1 (NOT_SERVING until `markServing`),
 * server reflection (when asked), explicit message-size limits, and graceful shutdown.
 */
export class ServiceHost {
  readonly server: Server;
  readonly env: HandlerEnv;
  private readonly health: HealthImplementation;
  private readonly serviceNames: string[] = [];
  private readonly forceController = new AbortController();
  private shuttingDown: Promise<void> | undefined;
  private boundPort = 0;
  private hostStatus: ServingStatus = 'NOT_SERVING';
  /** Services held NOT_SERVING by setServiceReady(name, false) while the host serves. */
  private readonly notReady = new Set<string>();

  constructor(private readonly options: ServiceHostOptions) {
    this.server = new Server({
      'grpc.max_receive_message_length': transportReceiveLimit(options.maxReceiveMessageBytes),
      'grpc.max_send_message_length': options.maxSendMessageBytes,
    });
    this.health = new HealthImplementation({ '': 'NOT_SERVING' });
    this.health.addToServer(this.server);
    if (options.reflection) {
      const { files, root } = options.reflection;
      const ours = loadSync([...files], { includeDirs: [root] });
      const health = loadSync(healthProtoPath);
      new ReflectionService({ ...ours, ...health }).addToServer(this.server);
    }
    // Every in-flight call listens on this signal: many concurrent calls are normal, not a leak.
    setMaxListeners(0, this.forceController.signal);
    this.env = {
      log: options.log,
      serverSignal: this.forceController.signal,
      messageLimitHint: options.messageLimitHint,
    };
  }

  /** Registers a service; its requests are checked against maxReceiveMessageBytes. */
  addService<D extends ServiceDefinition>(
    fullName: string,
    definition: D,
    implementation: UntypedServiceImplementation,
  ): void {
    this.server.addService(withMessageLimit(definition, this.options.maxReceiveMessageBytes), implementation);
    this.serviceNames.push(fullName);
    this.health.setStatus(fullName, 'NOT_SERVING');
  }

  /** Binds the port and starts accepting calls; health stays NOT_SERVING until markServing(). */
  async listen(): Promise<number> {
    const credentials = this.options.credentials ?? ServerCredentials.createInsecure();
    this.boundPort = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`${this.options.host}:${this.options.port}`, credentials, (err, port) =>
        err ? reject(err) : resolve(port),
      ),
    );
    return this.boundPort;
  }

  get port(): number {
    return this.boundPort;
  }

  /** The whole server's status ('' and every service; a service not ready stays NOT_SERVING). */
  setStatus(status: ServingStatus): void {
    this.hostStatus = status;
    this.health.setStatus('', status);
    for (const name of this.serviceNames) this.health.setStatus(name, this.serviceStatus(name));
  }

  /**
   * Marks one service ready or not (e.g. while a backend it needs is unreachable): it reports
   * NOT_SERVING when not ready, else the server's status. The '' status is left alone.
   */
  setServiceReady(fullName: string, ready: boolean): void {
    if (ready) this.notReady.delete(fullName);
    else this.notReady.add(fullName);
    if (this.serviceNames.includes(fullName)) this.health.setStatus(fullName, this.serviceStatus(fullName));
  }

  /** The grpc.health.v1 status of `service` ('' = the server), as Check answers it; undefined = unknown. */
  healthStatus(service: string): ServingStatus | undefined {
    if (service === '') return this.hostStatus;
    return this.serviceNames.includes(service) ? this.serviceStatus(service) : undefined;
  }

  private serviceStatus(name: string): ServingStatus {
    return this.notReady.has(name) ? 'NOT_SERVING' : this.hostStatus;
  }

  /** Reports SERVING once the tier is ready (model loaded, warm-up done). */
  markServing(): void {
    this.setStatus('SERVING');
    this.options.log.info(
      { port: this.boundPort, services: this.serviceNames },
      `${this.options.name} is serving`,
    );
  }

  /**
   * Graceful shutdown: NOT_SERVING, stop accepting calls, let in-flight calls finish; after
   * shutdownTimeoutMs (or a second call with force) abort every call and close.
   */
  shutdown(reason: string, force = false): Promise<void> {
    if (force) this.forceNow(`${reason}: forced`);
    if (this.shuttingDown) return this.shuttingDown;
    const log = this.options.log;
    log.info(
      { reason, timeoutMs: this.options.shutdownTimeoutMs },
      'shutting down: draining in-flight calls',
    );
    this.setStatus('NOT_SERVING');
    this.shuttingDown = new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.forceNow('shutdown timeout'), this.options.shutdownTimeoutMs);
      timer.unref();
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        log.info('shutdown complete');
        resolve();
      });
    });
    return this.shuttingDown;
  }

  private forceNow(why: string): void {
    if (this.forceController.signal.aborted) return;
    this.options.log.warn({ why }, 'forcing shutdown: aborting in-flight calls');
    this.forceController.abort(new Error(why));
    this.server.forceShutdown();
  }
}
