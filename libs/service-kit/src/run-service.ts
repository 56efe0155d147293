import type { Server as HttpServer } from 'node:http';
import type { ConfigOf, Schema } from './config/schema';
import { flagName, envName } from './config/schema';
import { parseConfig } from './config/parse-config';
import { formatHelp, redactConfig } from './config/format-config';
import { commonServerSchema } from './common-schema';
import { serverCredentials } from './grpc/server-tls';
import { ServiceHost } from './grpc/service-host';
import { exitOnSignals } from './grpc/signals';
import { createLogger, type Logger } from './logging/logger';
import { startMetricsServer, type MetricsHandler } from './metrics-server';

export type ServiceConfig<S extends Schema> = ConfigOf<typeof commonServerSchema & S>;

/** What an app is: its name, config schema, default port and how it wires its services. */
export interface ServiceApp<S extends Schema> {
  /** Short name: "preprocess", "vision", "llm", "gateway"; also the env prefix (INTERNVL_<NAME>_*). */
  name: string;
  /** One line for --help. */
  description: string;
  defaultPort: number;
  defaultMetricsPort: number;
  schema: S;
  /** Files and include dir of the .proto contracts, for server reflection (served with --reflection). */
  reflection: { root: string; files: readonly string[] };
  /**
   * Registers services on the host and loads what they need (models, warm-up). The host reports
   * SERVING only after this resolves. The returned `drain` runs when shutdown starts, alongside
   * the gRPC drain (other listeners stop accepting and let their in-flight work finish within
   * shutdown_timeout_ms; `force`: abort it now); `close` runs after both drained.
   */
  setup(
    host: ServiceHost,
    config: ServiceConfig<S>,
    log: Logger,
  ): Promise<{ drain?: (force: boolean) => Promise<void>; close?: () => Promise<void> } | void>;
}

export interface RunningService {
  port: number;
  metricsPort: number | undefined;
  host: ServiceHost;
  log: Logger;
  /** Graceful stop (force aborts in-flight calls). */
  stop(reason: string, force?: boolean): Promise<void>;
}

export interface RunOptions {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  metricsHandler?: MetricsHandler;
  /** Install SIGTERM/SIGINT handlers that drain then exit (the real process; not in tests). */
  handleSignals?: boolean;
}

/** Full --help text for an app. */
export function serviceHelp<S extends Schema>(app: ServiceApp<S>): string {
  const schema = withDefaults(app);
  return `${app.description}\n\nOptions (flags win over env):\n${formatHelp(schema, app.name)}\n  --help\n      Show this help.`;
}

function withDefaults<S extends Schema>(app: ServiceApp<S>): typeof commonServerSchema & S {
  return {
    ...commonServerSchema,
    port: { ...commonServerSchema.port, default: app.defaultPort },
    metrics_port: { ...commonServerSchema.metrics_port, default: app.defaultMetricsPort },
    ...app.schema,
  };
}

/** Parses config, starts the gRPC server and metrics endpoint, and reports SERVING when ready. */
export async function runService<S extends Schema>(
  app: ServiceApp<S>,
  options: RunOptions,
): Promise<RunningService> {
  const schema = withDefaults(app);
  const { config, positionals } = parseConfig(schema, app.name, { argv: options.argv, env: options.env });
  const log = createLogger(app.name, config.log_level);
  if (positionals.length > 0)
    throw new Error(`unexpected argument '${positionals[0]}'; options start with --`);
  log.info({ config: redactConfig(schema, config) }, `starting ${app.name}`);
  const option = (key: string) => `${flagName(key)} (${envName(app.name, key)})`;
  const credentials = serverCredentials(config, option);

  const host = new ServiceHost({
    name: app.name,
    host: config.host,
    port: config.port,
    maxReceiveMessageBytes: config.max_receive_message_bytes,
    maxSendMessageBytes: config.max_send_message_bytes,
    shutdownTimeoutMs: config.shutdown_timeout_ms,
    messageLimitHint: `${flagName('max_receive_message_bytes')} or ${envName(app.name, 'max_receive_message_bytes')}`,
    credentials,
    reflection: config.reflection ? app.reflection : undefined,
    log,
  });
  const setupResult = await app.setup(host, config as ServiceConfig<S>, log);
  const port = await host.listen();
  let metricsServer: HttpServer | undefined;
  if (options.metricsHandler)
    metricsServer = await startMetricsServer(config.host, config.metrics_port, options.metricsHandler, (s) =>
      host.healthStatus(s),
    );
  const address = metricsServer?.address();
  const metricsPort = address && typeof address === 'object' ? address.port : undefined;
  host.markServing();
  const tls = config.tls_client_ca_file ? 'mutual' : config.tls_cert_file ? 'server' : 'off';
  log.info(
    { port, metricsPort, tls, reflection: config.reflection },
    `${app.name} listening on ${config.host}:${port}`,
  );

  const stop = async (reason: string, force = false) => {
    await Promise.all([host.shutdown(reason, force), setupResult?.drain?.(force)]);
    await setupResult?.close?.();
    metricsServer?.close();
  };
  if (options.handleSignals) exitOnSignals(stop, log);
  return { port, metricsPort, host, log, stop };
}
