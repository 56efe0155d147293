import { defineSchema } from './config/schema';

const MiB = 1024 * 1024;

/** Server options every tier shares; each app's schema adds its own fields. */
export const commonServerSchema = defineSchema({
  host: { type: 'string', default: '127.0.0.1', doc: 'Interface the gRPC server binds (0.0.0.0 for all).' },
  port: {
    type: 'int',
    default: 0,
    min: 0,
    max: 65535,
    doc: 'gRPC port; 0 picks a free port (the app sets its own default).',
  },
  metrics_port: {
    type: 'int',
    default: -1,
    min: -1,
    max: 65535,
    doc: 'Prometheus /metrics HTTP port; 0 picks a free port, -1 disables.',
  },
  max_receive_message_bytes: {
    type: 'int',
    default: 4 * MiB,
    min: 1024,
    doc: 'Largest single request message accepted; payloads above 1 MiB should be streamed in chunks.',
  },
  max_send_message_bytes: {
    type: 'int',
    default: 4 * MiB,
    min: 1024,
    doc: 'Largest single response message sent.',
  },
  shutdown_timeout_ms: {
    type: 'int',
    default: 30_000,
    min: 0,
    doc: 'On SIGTERM, how long in-flight calls may run before they are aborted.',
  },
  tls_cert_file: {
    type: 'string',
    default: '',
    doc: 'PEM certificate chain; with tls_key_file the port speaks TLS.',
  },
  tls_key_file: { type: 'string', default: '', doc: 'PEM private key for tls_cert_file.', secret: true },
  tls_client_ca_file: {
    type: 'string',
    default: '',
    doc: 'PEM of the CA that signs client certificates; with tls_cert_file/tls_key_file it turns on mutual TLS: callers without a certificate it signed are refused at the handshake.',
  },
  reflection: {
    type: 'bool',
    default: false,
    doc: 'Serve gRPC server reflection (grpc.reflection.v1, for grpcurl and friends) on the gRPC port.',
  },
  log_level: {
    type: 'string',
    default: 'info',
    choices: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
    doc: 'Log level of the JSON logs on stderr.',
  },
});
