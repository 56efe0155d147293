import {
  credentials as grpcCredentials,
  type ChannelCredentials,
  type ChannelOptions,
  type Client,
  type ClientDuplexStream,
  type ServiceError,
  type CallOptions,
} from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { InvalidArgumentError } from '@internvl/errors';

export interface ClientConfig {
  /** host:port entries, or one target with a scheme (e.g. dns:///vision.internvl.svc:50052). */
  addresses: readonly string[];
  maxReceiveMessageBytes: number;
  maxSendMessageBytes: number;
  /** PEM of the CA that signed the server's certificate; TLS when set. */
  tlsCaFile?: string;
  /**
   * PEM client certificate chain and its private key (both or neither; TLS only), presented to
   * servers that require mutual TLS (tls_client_ca_file).
   */
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /**
   * Host name the server's certificate is checked against, and the calls' :authority, instead of
   * the dialed host (grpc.ssl_target_name_override + grpc.default_authority; TLS only). For
   * dialing replicas by IP when their certificate names only DNS names, e.g.
   * `llm.internvl.svc.cluster.local` for a certificate with `*.internvl.svc.cluster.local`.
   */
  tlsServerName?: string;
  /**
   * Reconnect backoff after a failed connection attempt (grpc-js defaults: 1 s growing ×1.6 up
   * to 120 s, so a long outage leaves the client waiting long after the server is back).
   */
  reconnectBackoff?: { initialMs: number; maxMs: number };
}

/**
 * The channel target for a list of replicas. grpc-js balances across what the target resolves
 * to, so one DNS name (a headless Kubernetes Service) or a list of IPs both scale out.
 */
export function channelTarget(addresses: readonly string[]): string {
  if (addresses.length === 0) throw new InvalidArgumentError('no server address given');
  if (addresses.length === 1) {
    const [address] = addresses as [string];
    return address.includes('://') || /^(dns|ipv4|ipv6|unix):/.test(address) ? address : `dns:///${address}`;
  }
  const hosts = addresses.map((a) => a.slice(0, a.lastIndexOf(':')).replace(/^\[|\]$/g, ''));
  const families = new Set(hosts.map((h) => isIP(h)));
  if (families.size !== 1 || families.has(0)) {
    throw new InvalidArgumentError(
      `several addresses must all be IPv4 or all IPv6 literals (got ${addresses.join(', ')}); for host names use one DNS name that resolves to every replica`,
    );
  }
  return `${families.has(4) ? 'ipv4' : 'ipv6'}:${addresses.join(',')}`;
}

/** Channel options every client uses: explicit size limits and round-robin over all resolved addresses. */
export function channelOptions(config: ClientConfig): ChannelOptions {
  return {
    'grpc.max_receive_message_length': config.maxReceiveMessageBytes,
    'grpc.max_send_message_length': config.maxSendMessageBytes,
    'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
    'grpc.keepalive_time_ms': 30_000,
    ...(config.reconnectBackoff && {
      'grpc.initial_reconnect_backoff_ms': config.reconnectBackoff.initialMs,
      'grpc.max_reconnect_backoff_ms': config.reconnectBackoff.maxMs,
    }),
    ...(config.tlsCaFile &&
      config.tlsServerName && {
        'grpc.ssl_target_name_override': config.tlsServerName,
        'grpc.default_authority': config.tlsServerName,
      }),
  };
}

/**
 * Plaintext, or TLS verified against tlsCaFile (with the client certificate of tlsCertFile and
 * tlsKeyFile for mutual TLS). A client certificate or server name without tlsCaFile is refused
 * rather than silently sent in plaintext.
 */
export function channelCredentials(config: ClientConfig): ChannelCredentials {
  const { tlsCaFile, tlsCertFile, tlsKeyFile, tlsServerName } = config;
  if (!tlsCaFile) {
    if (tlsCertFile || tlsKeyFile || tlsServerName)
      throw new InvalidArgumentError(
        'a client certificate, key or TLS server name needs the CA file of the server certificates (TLS)',
      );
    return grpcCredentials.createInsecure();
  }
  if (Boolean(tlsCertFile) !== Boolean(tlsKeyFile))
    throw new InvalidArgumentError('a client certificate needs its key file and a key its certificate file');
  return grpcCredentials.createSsl(
    readFileSync(tlsCaFile),
    tlsKeyFile ? readFileSync(tlsKeyFile) : null,
    tlsCertFile ? readFileSync(tlsCertFile) : null,
  );
}

/** A generated grpc-js client class. */
export type ClientConstructor<C extends Client> = new (
  address: string,
  credentials: ChannelCredentials,
  options?: ChannelOptions,
) => C;

/** Creates a generated grpc-js client for a replica list. */
export function createClient<C extends Client>(Ctor: ClientConstructor<C>, config: ClientConfig): C {
  return new Ctor(channelTarget(config.addresses), channelCredentials(config), channelOptions(config));
}

/** Call options carrying the caller's deadline downstream. */
export function callOptions(deadline: Date | undefined): CallOptions {
  return deadline ? { deadline } : {};
}

/**
 * Runs a bidirectional call: writes `requests` with back-pressure, yields responses.
 * Aborting `signal` cancels the call (the server sees CANCELLED and stops its work).
 */
export async function* duplexCall<Req, Res>(
  call: ClientDuplexStream<Req, Res>,
  requests: Iterable<Req> | AsyncIterable<Req>,
  signal?: AbortSignal,
): AsyncGenerator<Res> {
  const onAbort = () => call.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  let writeError: unknown;
  const writing = (async () => {
    for await (const request of requests) {
      if (!call.write(request)) await new Promise((resolve) => call.once('drain', resolve));
    }
    call.end();
  })().catch((err: unknown) => {
    writeError = err;
    call.cancel();
  });
  try {
    for await (const response of call.iterator({ destroyOnReturn: false })) yield response as Res;
    await writing;
    if (writeError) throw writeError;
  } catch (err) {
    if (writeError) throw writeError;
    if (signal?.aborted && (err as ServiceError).code === 1) throw signal.reason;
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!call.destroyed) {
      // Nobody reads the stream any more: the CANCELLED error this causes must not go unhandled.
      call.on('error', () => {});
      call.cancel();
    }
  }
}
